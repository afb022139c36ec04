/** ipv4: the deprecated public IPv4 workload, no fields, always one IPv4. zos-protocol.md §1.5 (ipv4), §2.4. */
import { goStruct } from '../go-json';
import { publicIpResultSchema, type PublicIPResult } from './ip';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';

export const IPV4 = 'ipv4';

export const ipv4DataSchema = goStruct('zos.PublicIP4', {});
export type IPv4Data = ReturnType<typeof ipv4DataSchema.parse>;

export const ipv4 = {
  type: IPV4 as typeof IPV4,
  goType: '*zos.PublicIP4',
  sharable: false,
  data: ipv4DataSchema,
  result: publicIpResultSchema,
  challenge: () => undefined,
  validate: () => undefined,
  capacity: () => capacity({ ipv4u: 1n }),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<IPv4Data, PublicIPResult>;
