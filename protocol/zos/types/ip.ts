/** ip: a public IPv4 and/or IPv6 for a zmachine. Wire format and rules: zos-protocol.md §1.5 (ip), §2.4, §4. */
import { goBool, goIP, goIPNet, goStruct } from '../go-json';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';

export const IP = 'ip';

export const ipDataSchema = goStruct('zos.PublicIP', { v4: goBool(), v6: goBool() });
export type IPData = ReturnType<typeof ipDataSchema.parse>;

/** Shared by `ip` and `ipv4`: CIDRs and gateway in canonical Go text, `''` when unset. */
export const publicIpResultSchema = goStruct('zos.PublicIPResult', { ip: goIPNet(), ip6: goIPNet(), gateway: goIP() });
export type PublicIPResult = ReturnType<typeof publicIpResultSchema.parse>;

export const ip = {
  type: IP as typeof IP,
  goType: '*zos.PublicIP',
  sharable: false,
  data: ipDataSchema,
  result: publicIpResultSchema,
  // v6 is hashed even though it costs no capacity.
  challenge: (d, w) => void w.bool(d.v4).bool(d.v6),
  validate: (d) => (!d.v4 && !d.v6 ? 'public ip workload with no selections' : undefined),
  capacity: (d) => capacity({ ipv4u: d.v4 ? 1n : 0n }),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<IPData, PublicIPResult>;
