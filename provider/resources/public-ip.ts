/**
 * PublicIp: a public IPv4 and/or IPv6 for one ZMachine of the same deployment (zos-protocol.md §1.5 ip, §6.6).
 * IPv4 addresses are reserved on the node contract when it is created; TFChain cannot add them later, so a
 * PublicIp must be created together with the first workloads of its deployment group. Cannot be updated in
 * place: any change replaces it (delete first, so the address is free).
 * @module
 */
import { z } from 'zod';
import { commonInputShape, type ResourceKind } from '../workload-resource';

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

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const publicIpOutputDocs = {
  ip: { type: 'string', description: 'Public IPv4 in CIDR form, or "".' },
  ip6: { type: 'string', description: 'Public IPv6 in CIDR form, or "".' },
  gateway: { type: 'string', description: 'IPv4 gateway, or "".' },
} as const satisfies ResourceKind<PublicIpInputs>['outputDocs'];

export const publicIpKind: ResourceKind<PublicIpInputs, 'ip'> = {
  typeName: 'PublicIp',
  workloadType: 'ip',
  description:
    'A public IPv4/IPv6 for a ZMachine in the same deployment. The IPv4 is reserved on the node contract at creation: create it together with the first workloads of its deployment group (TFChain cannot add public IPs to an existing contract).',
  inputs: publicIpInputsSchema,
  outputDocs: publicIpOutputDocs,
  alwaysDeleteBeforeReplace: true,
  publicIps: (i) => (i.v4 ? 1 : 0),
  // Preview says it when the group's contract exists already with no free reserved IPv4 (rmb-tfchain.md §B2).
  async liveCheck(i, runtime) {
    if (!i.v4) return [];
    const d = await runtime.coordinator.current(i.node, i.deployment, i.adoptContractId);
    if (!d) return [];
    const contract = await runtime.deps.chain.getContract(d.contract_id);
    const reserved = contract?.publicIps ?? 0;
    const used = d.workloads.filter((w) => w.type === 'ip' && (w.data as { v4?: boolean }).v4 && w.name !== i.name).length;
    if (used < reserved) return [];
    return [
      {
        property: 'deployment',
        reason: `PublicIp "${i.name}": deployment group "${i.deployment}" on node ${i.node} already has contract ${d.contract_id} with ${reserved} public IPv4 reserved and ${used} in use; TFChain cannot add public IPs to an existing contract. Fix: set \`deployment\` to a new group for this PublicIp and its ZMachine (and its disks), so they are created together`,
      },
    ];
  },
  toWire: (i) => ({ v4: i.v4, v6: i.v6 }),
  resultOutputs: (data) => {
    const d = (data ?? {}) as { ip?: string; ip6?: string; gateway?: string };
    return { ip: d.ip ?? '', ip6: d.ip6 ?? '', gateway: d.gateway ?? '' };
  },
};
