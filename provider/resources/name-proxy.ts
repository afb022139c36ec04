/**
 * NameProxy: a gateway at `<subdomain>.<node domain>` (zos-protocol.md §1.5 gateway-name-proxy, §6.5). It needs a
 * TFChain name contract for the subdomain, reserved in the same chain transaction as the deployment change and
 * cancelled on delete when this resource reserved it. Cannot be updated in place; a replacement frees the domain
 * first.
 * @module
 */
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';
import { commonInputShape, type WorkloadKind } from '../workload-resource';
import { gatewayShape, refineBackends } from './gateway-backends';

export const nameProxyInputsSchema = z
  .object({
    ...commonInputShape,
    /** Subdomain under the gateway node's domain; reserved as a name contract (3..64 of a-z, 0-9, _ and -). */
    subdomain: z.string().regex(/^[a-z0-9_-]{3,64}$/, 'must be 3..64 characters of a-z, 0-9, _ and - (TFChain name contract rules)'),
    ...gatewayShape,
  })
  .superRefine(refineBackends);
export type NameProxyInputs = z.infer<typeof nameProxyInputsSchema>;

export const nameProxyKind: WorkloadKind<NameProxyInputs> = {
  typeName: 'NameProxy',
  workloadType: 'gateway-name-proxy',
  description: 'A web gateway at <subdomain>.<gateway node domain>, backed by a TFChain name contract.',
  inputs: nameProxyInputsSchema,
  outputDocs: {
    fqdn: { type: 'string', description: 'The public domain name of the gateway.' },
    nameContractId: { type: 'integer', description: 'The name contract reserving the subdomain.' },
    ownsNameContract: { type: 'boolean', description: 'True when this resource reserved the name (and cancels it on delete).' },
  },
  updatable: false,
  alwaysDeleteBeforeReplace: true,
  async prepare(i, ctx) {
    if (ctx.olds) return { nameContractId: ctx.olds.nameContractId ?? 0, ownsNameContract: ctx.olds.ownsNameContract ?? false };
    const chain = ctx.runtime.deps.chain;
    const existing = await chain.nameContractId(i.subdomain);
    if (existing === 0) return { nameContractId: 0, ownsNameContract: true };
    const c = await chain.getContract(existing);
    const me = await chain.twinId();
    if (c && c.twinId !== me && c.state !== 'deleted') {
      throw new InputError(`NameProxy "${i.name}": the name "${i.subdomain}" is reserved by twin ${c.twinId} (name contract ${existing})`, {
        path: 'subdomain',
        fix: 'pick another subdomain',
      });
    }
    return { nameContractId: existing, ownsNameContract: false };
  },
  async chainOpsOnCreate(i, prepared) {
    return prepared.ownsNameContract ? [{ kind: 'createName', name: i.subdomain }] : [];
  },
  afterCreateOps: (ids) => (ids.length > 0 ? { nameContractId: ids[0], ownsNameContract: true } : {}),
  chainOpsOnDelete: (o) => (o.ownsNameContract && Number(o.nameContractId) > 0 ? [{ kind: 'cancel', contractId: Number(o.nameContractId) }] : []),
  toWire: (i) => ({ name: i.subdomain, tls_passthrough: i.tlsPassthrough, backends: i.backends, ...(i.network ? { network: i.network } : {}) }),
  resultOutputs: (data) => ({ fqdn: (data as { fqdn?: string } | null)?.fqdn ?? '' }),
};
