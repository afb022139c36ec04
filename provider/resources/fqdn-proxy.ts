/**
 * FqdnProxy: a gateway for a domain you own, whose DNS points at the gateway node (zos-protocol.md §1.5
 * gateway-fqdn-proxy, §6.5). Cannot be updated in place; a replacement frees the domain first.
 * @module
 */
import { z } from 'zod';
import { commonInputShape, type ResourceKind } from '../workload-resource';
import { gatewayShape, refineBackends, requireNetworkOnNode } from './gateway-backends';

export const fqdnProxyInputsSchema = z
  .object({
    ...commonInputShape,
    /** The domain served; its A/AAAA record must point to the gateway node's public IP. */
    fqdn: z.string().regex(/^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$/, 'must be a domain name such as app.example.com'),
    ...gatewayShape,
  })
  .superRefine(refineBackends);
export type FqdnProxyInputs = z.infer<typeof fqdnProxyInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const fqdnProxyOutputDocs = {} as const satisfies ResourceKind<FqdnProxyInputs>['outputDocs'];

export const fqdnProxyKind: ResourceKind<FqdnProxyInputs, 'gateway-fqdn-proxy'> = {
  typeName: 'FqdnProxy',
  workloadType: 'gateway-fqdn-proxy',
  description: 'A web gateway for your own domain name (its DNS must point to the gateway node).',
  inputs: fqdnProxyInputsSchema,
  outputDocs: fqdnProxyOutputDocs,
  alwaysDeleteBeforeReplace: true,
  async prepare(i, ctx) {
    if (!ctx.olds) await requireNetworkOnNode(i, 'FqdnProxy', ctx.runtime);
    return {};
  },
  toWire: (i) => ({ fqdn: i.fqdn, tls_passthrough: i.tlsPassthrough, backends: i.backends, ...(i.network ? { network: i.network } : {}) }),
  resultOutputs: () => ({}),
};
