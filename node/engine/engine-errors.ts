/**
 * ZOS's texts for the engine's own decisions (zosbase provision/engine.go, events.go), byte for byte: clients
 * match on them. One table for every part of the engine (admission, chain check, provisioning, sync).
 * Facts: zos-protocol.md §3.2, §3.3, §3.7, §6.1.
 * @module
 */
export const ENGINE_ERRORS = {
  twinMismatch: (d: number, m: number) => `twin id mismatch (deployment: ${d}, message: ${m})`,
  createVersion: 'expected version to be 0 on deployment creation: invalid version',
  upgrade: (cause: string) => `${cause}: upgrade validation error`,
  noUpgrade: (type: string) => `workload '${type}' does not support upgrade: upgrade validation error`,
  notFound: 'deployment not found',
  getContract: (cause: string) => `failed to get deployment contract: ${cause}`,
  contractType: 'invalid contract type, expecting node contract',
  nodeAddress: 'invalid node address in contract',
  hash: 'contract hash does not match deployment hash',
  memory: (need: bigint, usable: bigint) => `failed to satisfy required capacity: cannot fulfil required memory size ${need} bytes out of usable ${usable} bytes`,
  deletedByUpdate: 'deleted by an update',
  cancelled: 'contract canceled event received',
  notOnChain: 'contract not active on chain',
  unknownType: (t: string, wid: string) => `unknown workload type '${t}' for reservation id '${wid}'`,
  twinKey: (twin: number, cause: string) => `failed to get public key for twin '${twin}': ${cause}`,
} as const;
