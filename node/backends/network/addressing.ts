/**
 * Address arithmetic for private networks (zos-protocol.md §6.2 interface rules, §6.4, §7): IPv4 parsing, subnet
 * membership, the reserved gateway, deterministic MACs, and the 400::/7 (mycelium) and 200::/7 (planetary)
 * addresses derived from keys and seeds. Pure: no I/O.
 * @module
 */
import { createHash } from 'crypto';
import { ZosError } from '../../../protocol/common/errors';
import { NETWORK_ERRORS, privateRoutes } from './network';
import type { AttachRequest, MachineNic, NetworkConfig, NetworkInfo } from './network';

/** Parses dotted IPv4 to a 32-bit number, or undefined. */
export function parseIpv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

export interface Cidr4 {
  base: number;
  bits: number;
}

/** Parses `a.b.c.d/n` (the host part is masked away). */
export function parseCidr4(cidr: string): Cidr4 | undefined {
  const [ip, len] = cidr.split('/');
  const n = parseIpv4(ip);
  const bits = Number(len);
  if (n === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32 || len === undefined) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (n & mask) >>> 0, bits };
}

export function inCidr4(ip: number, c: Cidr4): boolean {
  const mask = c.bits === 0 ? 0 : (0xffffffff << (32 - c.bits)) >>> 0;
  return (ip & mask) >>> 0 === c.base;
}

/** The checks of primitives/vm/utils.go `newPrivNetworkInterface`, with ZOS's texts. */
export function checkMachineIp(ip: string, subnet: string): void {
  const n = parseIpv4(ip);
  if (n === undefined) throw new ZosError(NETWORK_ERRORS.notIpv4, { nodeMessage: NETWORK_ERRORS.notIpv4 });
  const c = parseCidr4(subnet);
  if (!c || !inCidr4(n, c)) {
    const text = NETWORK_ERRORS.notInSubnet(ip, subnet);
    throw new ZosError(text, { nodeMessage: text });
  }
  if ((n & 0xff) === 1) {
    const text = NETWORK_ERRORS.reserved(ip);
    throw new ZosError(text, { nodeMessage: text });
  }
}

/** A locally administered unicast MAC derived from a key (stable across restarts). */
export function macFor(key: string): string {
  const h = createHash('sha256').update(`mac:${key}`).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function v6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/**
 * The NR's mycelium /64 (in 400::/7), derived from the network's mycelium key so it is stable whenever the NR is
 * re-created (§6.4). Returned as `xxxx:xxxx:xxxx:xxxx::/64`.
 */
export function myceliumPrefix(hexKey: string): string {
  const h = createHash('sha256').update(Buffer.from(hexKey, 'hex')).digest();
  const b = Buffer.alloc(16);
  h.copy(b, 0, 0, 8);
  b[0] = 0x04 | (b[0] & 0x01); // 400::/7
  return `${v6(b).split(':').slice(0, 4).join(':')}::/64`;
}

/** A machine's mycelium IP: the NR /64 + `ff0f` + the 6 seed bytes (§6.2). */
export function myceliumIp(prefix: string, hexSeed: string): string {
  if (!/^[0-9a-fA-F]{12}$/.test(hexSeed)) throw new ZosError('invalid mycelium seed length expected 6 bytes');
  if (/^(0{12}|f{12})$/i.test(hexSeed)) throw new ZosError(`invalid mycelium seed '${hexSeed}'`);
  const head = prefix.replace(/::\/64$/, '').split(':');
  const s = hexSeed.toLowerCase();
  return [...head, 'ff0f', s.slice(0, 4), s.slice(4, 8), s.slice(8, 12)].map((g) => parseInt(g, 16).toString(16)).join(':');
}

/** A planetary-range (200::/7) address derived from a machine id. */
export function planetaryIp(machine: string): string {
  const b = createHash('sha256').update(`ygg:${machine}`).digest().subarray(0, 16);
  b[0] = 0x02 | (b[0] & 0x01);
  return v6(Buffer.from(b));
}

/**
 * The NIC `req` asks for on network resource `nr` (private address, gateway, routes, mycelium and planetary
 * addresses), placed in `place.netns` as `place.ifname`: what the Linux and sim backends both attach.
 */
export function describeNic(req: AttachRequest, nr: { config: NetworkConfig; info: NetworkInfo }, kind: MachineNic['kind'], place: { netns: string; ifname: string }): MachineNic {
  const nic: MachineNic = {
    machine: req.machine,
    netId: req.netId,
    netns: place.netns,
    nrNetns: nr.info.netns,
    ifname: place.ifname,
    kind,
    ip: req.ip,
    prefixLength: parseCidr4(nr.config.subnet)?.bits ?? 24,
    gateway: nr.info.gateway,
    mac: macFor(req.machine),
    routes: privateRoutes(nr.config.ipRange),
  };
  if (req.myceliumSeed) {
    if (!nr.info.myceliumPrefix) throw new ZosError(`network ${req.netId} has no mycelium configuration`);
    nic.myceliumIp = myceliumIp(nr.info.myceliumPrefix, req.myceliumSeed);
  }
  if (req.planetary) nic.planetaryIp = planetaryIp(req.machine);
  return nic;
}
