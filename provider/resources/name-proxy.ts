/**
 * NameProxy: a gateway at `<subdomain>.<node domain>` (zos-protocol.md §1.5 gateway-name-proxy, §6.5). It needs a
 * TFChain name contract for the subdomain, reserved in the same chain transaction as the deployment change and
 * cancelled on delete when this resource reserved it. Cannot be updated in place; a replacement frees the domain
 * first.
 *
 * The name contract can go away behind Pulumi's back (cancelled from the dashboard, or by deleting the NameProxy
 * that reserved a name another one borrows); the node then stops serving the name and fails the workload
 * (node/engine/managers/gateway-name-proxy.ts). So:
 * - `diff` looks the name up (`driftReplaces`): gone, deleted or another twin's → the NameProxy is replaced, and the
 *   new one reserves the name again in the same transaction as its deployment;
 * - delete cancels only a name contract that is still there (one already gone is done, and the log says so) and
 *   that no other NameProxy of this twin still serves on a gateway node (the log names it).
 * @module
 */
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import type { ContractOp, DeploymentJson } from '../deps';
import type { ProviderRuntime } from '../runtime';
import { GridProxyUnreachable, twinGatewayNodes } from '../grid-proxy';
import { inFlightPer } from '../in-flight';
import { commonInputShape, type ResourceKind } from '../workload-resource';
import { gatewayShape, refineBackends, requireNetworkOnNode } from './gateway-backends';

export const nameProxyInputsSchema = z
  .object({
    ...commonInputShape,
    /** Subdomain under the gateway node's domain; reserved as a name contract (3..64 of a-z, 0-9, _ and -). */
    subdomain: z.string().regex(/^[a-z0-9_-]{3,64}$/, 'must be 3..64 characters of a-z, 0-9, _ and - (TFChain name contract rules)'),
    ...gatewayShape,
  })
  .superRefine(refineBackends);
export type NameProxyInputs = z.infer<typeof nameProxyInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const nameProxyOutputDocs = {
  fqdn: { type: 'string', description: 'The public domain name of the gateway.' },
  nameContractId: { type: 'integer', description: 'The name contract reserving the subdomain.' },
  ownsNameContract: { type: 'boolean', description: 'True when this resource reserved the name (and cancels it on delete).' },
} as const satisfies ResourceKind<NameProxyInputs>['outputDocs'];

export const nameProxyKind: ResourceKind<NameProxyInputs, 'gateway-name-proxy'> = {
  typeName: 'NameProxy',
  workloadType: 'gateway-name-proxy',
  description: 'A web gateway at <subdomain>.<gateway node domain>, backed by a TFChain name contract.',
  inputs: nameProxyInputsSchema,
  outputDocs: nameProxyOutputDocs,
  alwaysDeleteBeforeReplace: true,
  async prepare(i, ctx) {
    if (ctx.olds) return { nameContractId: ctx.olds.nameContractId ?? 0, ownsNameContract: ctx.olds.ownsNameContract ?? false };
    await requireNetworkOnNode(i, 'NameProxy', ctx.runtime);
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
    if (!c || c.state === 'deleted') return { nameContractId: 0, ownsNameContract: true };
    // This twin's name that no gateway serves is a leftover (a failed run, a state lost): take it over as owned,
    // so this resource's destroy cancels it. One another NameProxy serves is borrowed and stays its owner's.
    const user = await otherNameUser({ subdomain: i.subdomain, node: i.node, contractId: 0, name: i.name }, ctx.runtime);
    if (!user) ctx.runtime.deps.log.info('taking over a name contract no gateway serves', { resource: i.name, nameContract: existing, name: i.subdomain });
    return { nameContractId: existing, ownsNameContract: !user };
  },
  // Preview: a name gateway needs a node with a domain (its public config); others refuse the workload.
  async liveCheck(i, runtime) {
    const cfg = await (await runtime.deps.node(i.node)).publicConfig();
    if (cfg?.domain) return [];
    return [
      {
        property: 'node',
        reason: `NameProxy "${i.name}": node ${i.node} is not a gateway (it has no public config with a domain); fix: put the NameProxy on a gateway node (a NodePicker with \`domain: true\` finds one)`,
      },
    ];
  },
  async chainOpsOnCreate(i, prepared) {
    return prepared.ownsNameContract && !Number(prepared.nameContractId) ? [{ kind: 'createName', name: i.subdomain }] : [];
  },
  afterCreateOps: (ids) => (ids.length > 0 ? { nameContractId: ids[0], ownsNameContract: true } : {}),
  chainOpsOnDelete: (o, runtime) => nameContractRelease(o, runtime),
  driftReplaces: async (o, runtime) => ((await nameContractDrift(o, runtime)) ? ['subdomain'] : []),
  toWire: (i) => ({ name: i.subdomain, tls_passthrough: i.tlsPassthrough, backends: i.backends, ...(i.network ? { network: i.network } : {}) }),
  resultOutputs: (data) => ({ fqdn: (data as { fqdn?: string } | null)?.fqdn ?? '' }),
};

/**
 * Why the name contract no longer covers this NameProxy (gone, deleted, another twin's), or undefined while it does.
 * A name re-reserved by this twin under a new contract id still covers it.
 */
export async function nameContractDrift(o: Record<string, unknown>, runtime: ProviderRuntime): Promise<string | undefined> {
  const name = String(o.subdomain ?? '');
  if (!name) return undefined;
  const chain = runtime.deps.chain;
  const id = await chain.nameContractId(name);
  let why: string | undefined;
  if (id === 0) why = `the name contract for "${name}" is gone`;
  else {
    const c = await chain.getContract(id);
    const me = await chain.twinId();
    if (!c || c.state === 'deleted') why = `name contract ${id} for "${name}" is deleted`;
    else if (c.twinId !== me) why = `the name "${name}" is now reserved by twin ${c.twinId} (name contract ${id})`;
  }
  if (why) runtime.deps.log.info('NameProxy needs a replacement: the node no longer serves a name without its contract', { resource: String(o.name ?? ''), node: Number(o.node), why });
  return why;
}

/**
 * The cancel of the name contract this NameProxy reserved, unless it is already gone (cancelled out of band: done)
 * or another NameProxy of this twin still serves the name on some gateway node (it keeps the contract).
 */
async function nameContractRelease(o: Record<string, unknown>, runtime: ProviderRuntime): Promise<ContractOp[]> {
  const id = Number(o.nameContractId);
  if (o.ownsNameContract !== true || !(id > 0)) return [];
  const { chain, log } = runtime.deps;
  const where = { resource: String(o.name ?? ''), nameContract: id, name: String(o.subdomain ?? '') };
  const c = await chain.getContract(id);
  if (!c || c.state === 'deleted') {
    log.info('name contract already gone (cancelled outside Pulumi): nothing to cancel', where);
    return [];
  }
  const user = await otherNameUser(o, runtime);
  if (user) {
    log.info(`name contract kept: ${user} still serves the name`, where);
    return [];
  }
  return [{ kind: 'cancel', contractId: id }];
}

/**
 * The gateway nodes (with a domain) where this twin has an active node contract: two grid proxy queries
 * (`/contracts?twin_id=…&type=node`, `/nodes?node_ids=…&domain=true`); without a proxy, or when it cannot be
 * reached (logged), every contract and farm on the chain is read instead.
 */
/**
 * The releases of one wave of NameProxy deletes ask the same questions at once: they share the answers in flight,
 * so they reach the coordinator together and leave in one transaction (bench/stack-scale: a wave of 10 deletes was
 * two, the first one answered ~300 ms before the rest, more than a coalescing window).
 */
const sharedGateways = inFlightPer<ProviderRuntime, string, { nodeId: number }[]>();
const sharedList = inFlightPer<ProviderRuntime, number, DeploymentJson[]>();

async function twinGateways(runtime: ProviderRuntime): Promise<{ nodeId: number }[]> {
  return sharedGateways(runtime, 'gateways', () => readTwinGateways(runtime));
}

async function readTwinGateways(runtime: ProviderRuntime): Promise<{ nodeId: number }[]> {
  const { chain, gridProxy, log } = runtime.deps;
  if (gridProxy) {
    try {
      return await twinGatewayNodes(gridProxy, await chain.twinId());
    } catch (err) {
      if (!(err instanceof GridProxyUnreachable)) throw err;
      log.warn(`${errorText(err)}: reading the twin's contracts and the gateways from the chain instead`, { gridProxy: gridProxy.url });
    }
  }
  const mine = new Set(await chain.twinNodeIds());
  return (await chain.listNodes()).filter((n) => n.publicConfig?.domain && mine.has(n.nodeId));
}

/**
 * Another live gateway-name-proxy workload of this twin with the same name, on a gateway node (one with a domain)
 * where the twin has an active node contract, described for the log; undefined when there is none. Only those
 * nodes are asked: a grid has many gateways, most unrelated (or unreachable), and each silent one costs an RMB
 * timeout. Nodes that do not answer are skipped.
 */
async function otherNameUser(o: Record<string, unknown>, runtime: ProviderRuntime): Promise<string | undefined> {
  const name = String(o.subdomain ?? '');
  const self = { node: Number(o.node), contract: Number(o.contractId), workload: String(o.name ?? '') };
  const gateways = await twinGateways(runtime);
  for (const n of gateways) {
    let deployments: DeploymentJson[];
    try {
      deployments = await sharedList(runtime, n.nodeId, async () => (await runtime.deps.node(n.nodeId)).list());
    } catch (err) {
      runtime.deps.log.warn('cannot list deployments of a gateway node while releasing a name', { node: n.nodeId, name, err: errorText(err) });
      continue;
    }
    for (const d of deployments) {
      for (const w of d.workloads) {
        if (w.type !== 'gateway-name-proxy' || w.data.name !== name) continue;
        if (w.result?.state === 'deleted' || w.result?.state === 'error') continue;
        if (n.nodeId === self.node && d.contract_id === self.contract && w.name === self.workload) continue;
        return `NameProxy workload "${w.name}" on node ${n.nodeId} (contract ${d.contract_id})`;
      }
    }
  }
  return undefined;
}
