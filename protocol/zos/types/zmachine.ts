/**
 * zmachine: a VM or container on a full node. Wire format and rules: zos-protocol.md §1.5 (zmachine), §2.4,
 * §3.5 (never updated in place), §4. Shared pieces (interfaces, mycelium seed, compute, mounts, env sort, min
 * root size) are used by zmachine-light too.
 */
import { goBool, goHexBytes, goIP, goOptionalStruct, goSlice, goString, goStringMap, goStruct, goUint, goUint64 } from '../go-json';
import type { ChallengeWriter } from '../challenge-writer';
import { capacity, GIB, MIB, NOT_UPDATABLE, type WorkloadGetter, type WorkloadKind } from './kind';

export const ZMACHINE = 'zmachine';
export const MYCELIUM_SEED_LEN = 6;
/** Below this memory the node refuses a machine (250 MiB). */
export const MIN_MEMORY = 250n * MIB;
export const RESERVED_NETWORK_NAMES = ['ygg', 'pub', 'mycelium'] as const;

export const machineInterfaceSchema = goStruct('zos.MachineInterface', { network: goString('gridtypes.Name'), ip: goIP() });
/** Go `MyceliumIP.Network` has no json tag: `"Network"` (Go clients) and `"network"` (TS) both decode. */
export const myceliumIpShape = { network: goString('gridtypes.Name'), hex_seed: goHexBytes() };
export const computeCapacitySchema = goStruct('zos.MachineCapacity', { cpu: goUint(8), memory: goUint64('gridtypes.Unit') });
export const machineMountSchema = goStruct('zos.MachineMount', { name: goString('gridtypes.Name'), mountpoint: goString() });

/** `network` fields zmachine and zmachine-light share, in Go field order (last in both structs). */
export const machineNetworkLinksShape = {
  mycelium: goOptionalStruct('zos.MyceliumIP', myceliumIpShape),
  interfaces: goSlice(machineInterfaceSchema, '[]zos.MachineInterface'),
};

/** The fields after `network` in zmachine and zmachine-light, in Go field order. */
export const machineBodyShape = {
  /** Root filesystem bytes; 0 means the minimum (`minRootSize`). */
  size: goUint64('gridtypes.Unit'),
  compute_capacity: computeCapacitySchema,
  mounts: goSlice(machineMountSchema, '[]zos.MachineMount'),
  entrypoint: goString(),
  env: goStringMap(),
  /** Not hashed. */
  corex: goBool(),
  gpu: goSlice(goString('zos.GPU'), '[]zos.GPU'),
};

/** The fields of `zos.ZMachine`, in Go field order (exported so that tests can build a variant of the schema). */
export const zmachineDataShape = {
  flist: goString(),
  network: goStruct('zos.MachineNetwork', { public_ip: goString('gridtypes.Name'), planetary: goBool(), ...machineNetworkLinksShape }),
  ...machineBodyShape,
};
export const zmachineDataSchema = goStruct('zos.ZMachine', zmachineDataShape);
export type ZMachineData = ReturnType<typeof zmachineDataSchema.parse>;

/** Old nodes wrote `ygg_ip`; it wins over `planetary_ip` when set, as in Go's `ZMachineResult.UnmarshalJSON`. */
export const zmachineResultSchema = goStruct('zos.ZMachineResult', {
  id: goString(),
  ip: goString(),
  ygg_ip: goString(),
  planetary_ip: goString(),
  mycelium_ip: goString(),
  console_url: goString(),
}).transform(({ ygg_ip, ...r }) => ({ ...r, planetary_ip: ygg_ip !== '' ? ygg_ip : r.planetary_ip }));
export type ZMachineResult = ReturnType<typeof zmachineResultSchema.parse>;

/** The fields zmachine and zmachine-light share, for the shared rules below. */
export interface MachineCommon {
  flist: string;
  network: { interfaces: { network: string; ip: string }[]; mycelium?: { network: string; hex_seed: string } | undefined };
  size: bigint;
  compute_capacity: { cpu: number; memory: bigint };
  mounts: { name: string; mountpoint: string }[];
  entrypoint: string;
  env: Record<string, string>;
  gpu: string[];
}

/** Minimum root filesystem: 500 MiB when cpu × memory < 8 GiB, else 2 GiB (integer division, as Go). */
export function minRootSize(cpu: number, memory: bigint): bigint {
  const cu = (BigInt(cpu) * memory) / (8n * GIB);
  return cu === 0n ? 500n * MIB : 2n * GIB;
}

/** The root filesystem size the node allocates: max(size, minRootSize). */
export function rootSize(m: Pick<MachineCommon, 'size' | 'compute_capacity'>): bigint {
  const min = minRootSize(m.compute_capacity.cpu, m.compute_capacity.memory);
  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers only)
  return m.size > min ? m.size : min;
}

/** Go `sort.Strings`: byte-wise UTF-8 order, not JS UTF-16 order. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Everything after the network part of the stream: size, compute, mounts, entrypoint, env, gpus. */
export function machineTailChallenge(m: MachineCommon, w: ChallengeWriter): void {
  w.uint(m.size).uint(m.compute_capacity.cpu).uint(m.compute_capacity.memory);
  for (const mnt of m.mounts) w.str(mnt.name).str(mnt.mountpoint);
  w.str(m.entrypoint);
  // Go sorts env keys by UTF-8 bytes, not JS default order.
  for (const k of Object.keys(m.env).sort(compareUtf8)) w.str(`${k}=${m.env[k]}`);
  // GPUs once, after env (the TS SDK wrongly writes them inside the env loop).
  for (const g of m.gpu) w.str(g);
}

/** Interfaces then the optional mycelium, as both machine types stream them. */
export function machineInterfacesChallenge(m: MachineCommon, w: ChallengeWriter): void {
  for (const inf of m.network.interfaces) w.str(inf.network).ip(inf.ip);
  if (m.network.mycelium) w.str(m.network.mycelium.network).hex(m.network.mycelium.hex_seed);
}

/** Checks before the public IP ones: one interface with an IP, cpu, memory, root size. */
export function validateMachineResources(m: MachineCommon): string | undefined {
  if (m.network.interfaces.length !== 1) return 'only one network private network is supported at the moment';
  for (const inf of m.network.interfaces) if (inf.ip === '') return 'invalid IP';
  if (m.compute_capacity.cpu === 0) return "cpu capacity can't be 0";
  if (m.compute_capacity.memory < MIN_MEMORY) return "mem capacity can't be less that 250M";
  const min = minRootSize(m.compute_capacity.cpu, m.compute_capacity.memory);
  if (m.size !== 0n && m.size < min) return `disk size can't be less that ${min}. Set to 0 for minimum`;
  return undefined;
}

/** Checks after the public IP ones: reserved network names and the mycelium seed length. */
export function validateMachineNetworkNames(m: MachineCommon): string | undefined {
  for (const inf of m.network.interfaces) {
    if ((RESERVED_NETWORK_NAMES as readonly string[]).includes(inf.network)) return `'${inf.network}' is reserved network name`;
  }
  if (m.network.mycelium && m.network.mycelium.hex_seed.length / 2 !== MYCELIUM_SEED_LEN) {
    return 'invalid mycelium seed length expected 6 bytes';
  }
  return undefined;
}

/** The public IP checks. `'skip'` reproduces the node's quirk: a wrongly typed reference ends `Valid` with success. */
function validatePublicIp(d: ZMachineData, deployment: WorkloadGetter): string | 'skip' | undefined {
  const name = d.network.public_ip;
  if (name === '') return undefined;
  const wl = deployment.get(name);
  if (!wl) return 'public ip is not found';
  // Go wraps a nil error here (`errors.Wrapf(err, ...)` with err == nil), so Valid returns nil early.
  if (wl.type !== 'ipv4' && wl.type !== 'ip') return 'skip';
  // A VM whose data did not decode counts as no user here; the walk reports its decode error at its own position.
  const users = deployment.byType(ZMACHINE).filter((vm) => (vm.data as ZMachineData | undefined)?.network.public_ip === name);
  if (users.length > 1) return 'public ip is assigned to multiple vms';
  return undefined;
}

export const zmachine = {
  type: ZMACHINE as typeof ZMACHINE,
  goType: '*zos.ZMachine',
  sharable: false,
  data: zmachineDataSchema,
  result: zmachineResultSchema,
  challenge: (d, w) => {
    w.str(d.flist).str(d.network.public_ip).bool(d.network.planetary);
    machineInterfacesChallenge(d, w);
    machineTailChallenge(d, w);
  },
  validate: (d, deployment) => {
    const res = validateMachineResources(d);
    if (res) return res;
    const pub = validatePublicIp(d, deployment);
    if (pub === 'skip') return undefined;
    if (pub) return pub;
    return validateMachineNetworkNames(d);
  },
  // SRU counts the root size even in full-VM (image) mode.
  capacity: (d) => capacity({ cru: BigInt(d.compute_capacity.cpu), mru: d.compute_capacity.memory, sru: rootSize(d) }),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<ZMachineData, ZMachineResult>;
