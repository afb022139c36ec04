/**
 * Names the node derives (zos-protocol.md §1.2): the global workload ID `<twin>-<contract>-<name>` and the
 * network ID (NetID): the first 13 characters of base58(md5("<twin>:<name>")), Bitcoin alphabet.
 * @module
 */
import { createHash } from 'crypto';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin base58 (jbenet/go-base58): leading zero bytes become `1`s. */
export function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** Global workload ID: names disks, VMs, zdb namespaces on the node. */
export function workloadId(twinId: number, contractId: bigint | number, name: string): string {
  return `${twinId}-${BigInt(contractId)}-${name}`;
}

/** Splits a workload ID; undefined when malformed. */
export function parseWorkloadId(id: string): { twinId: number; contractId: bigint; name: string } | undefined {
  const m = /^(\d+)-(\d+)-(.+)$/.exec(id);
  if (!m) return undefined;
  return { twinId: Number(m[1]), contractId: BigInt(m[2]), name: m[3] };
}

/** NetID of a twin's network: the same name gives the same ID in every deployment of that twin. */
export function netId(twinId: number, networkName: string): string {
  const digest = createHash('md5').update(`${twinId}:${networkName}`, 'utf8').digest();
  return base58Encode(digest).slice(0, 13);
}
