/**
 * PublicIp: a public IPv4 and/or IPv6 for one ZMachine of the same deployment (zos-protocol.md §1.5 ip, §6.6).
 * IPv4 addresses are reserved on the node contract when it is created; TFChain cannot add them later, so a
 * PublicIp must be created together with the first workloads of its deployment group. Cannot be updated in
 * place: any change replaces it (delete first, so the address is free).
 * @module
 */
import { z } from 'zod';
import { commonInputShape, type WorkloadKind } from '../workload-resource';

export const publicIpInputsSchema = z
  .object({
    ...commonInputShape,
    /** A public IPv4 from the farm (reserved on the contract). */
    v4: z.boolean().default(true),
    /** A public IPv6 (SLAAC on the node's public /64). */
    v6: z.boolean().default(false),
  })
  .refine((i) => i.v4 || i.v6, { message: 'public ip workload with no selections: set v4 or v6 to true', path: ['v4'] });
export type PublicIpInputs = z.infer<typeof publicIpInputsSchema>;

export const publicIpKind: WorkloadKind<PublicIpInputs> = {
  typeName: 'PublicIp',
  workloadType: 'ip',
  description:
    'A public IPv4/IPv6 for a ZMachine in the same deployment. The IPv4 is reserved on the node contract at creation: create it together with the first workloads of its deployment group (TFChain cannot add public IPs to an existing contract).',
  inputs: publicIpInputsSchema,
  outputDocs: {
    ip: { type: 'string', description: 'Public IPv4 in CIDR form, or "".' },
    ip6: { type: 'string', description: 'Public IPv6 in CIDR form, or "".' },
    gateway: { type: 'string', description: 'IPv4 gateway, or "".' },
  },
  updatable: false,
  alwaysDeleteBeforeReplace: true,
  publicIps: (i) => (i.v4 ? 1 : 0),
  toWire: (i) => ({ v4: i.v4, v6: i.v6 }),
  resultOutputs: (data) => {
    const d = (data ?? {}) as { ip?: string; ip6?: string; gateway?: string };
    return { ip: d.ip ?? '', ip6: d.ip6 ?? '', gateway: d.gateway ?? '' };
  },
};
