/**
 * What the coordinator knows of its group deployments (zos-protocol.md §5.2, rmb-tfchain.md §B5): a cache by
 * (node, group), filled from the node (`zos.deployment.get` by contract, else `list` by group metadata) and the
 * chain (the contract's state and reserved public IPs), and a workload's live status for a resource's `read`.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { CoordinatorDeps, NodeApi, DeploymentJson } from '../deps';
import { groupOf, keyOf } from './deployment';
import type { DeploymentState } from './plan';
import type { CoordinatorStats, ReadResult } from './types';

/** Node texts of a `get` for a deployment the node does not have. */
export const DEPLOYMENT_NOT_FOUND = /deployment not found|deployment does not exist/;

export interface DeploymentStore {
  /** Known deployments by `keyOf(node, group)`; the executor updates it after each version and drops stale ones. */
  readonly cache: Map<string, DeploymentState>;
  /** The group's deployment: cached, else read from the node; undefined when there is none (or its contract is deleted). */
  load(node: number, group: string, contractId: number | undefined): Promise<DeploymentState | undefined>;
  /** A workload's status on its node and contract (for a resource's `read`); never throws. */
  read(node: number, group: string, contractId: number, name: string): Promise<ReadResult>;
}

export function createDeploymentStore(deps: Pick<CoordinatorDeps, 'chain' | 'node'>, stats: CoordinatorStats): DeploymentStore {
  const cache = new Map<string, DeploymentState>();

  async function nodeCall<T>(node: number, fn: (api: NodeApi) => Promise<T>): Promise<T> {
    stats.nodeCalls++;
    const api = await deps.node(node);
    return fn(api);
  }

  async function load(node: number, group: string, contractId: number | undefined): Promise<DeploymentState | undefined> {
    const key = keyOf(node, group);
    const cached = cache.get(key);
    if (cached) return cached;
    let found: DeploymentJson | undefined;
    if (contractId) {
      try {
        found = await nodeCall(node, (api) => api.get(contractId));
      } catch (err) {
        if (!DEPLOYMENT_NOT_FOUND.test(errorText(err))) throw err;
      }
    }
    if (!found) {
      const all = await nodeCall(node, (api) => api.list());
      found = all.find((d) => groupOf(d) === group);
    }
    if (!found) return undefined;
    const contract = await deps.chain.getContract(found.contract_id);
    if (contract && contract.state === 'deleted') return undefined;
    const state: DeploymentState = {
      contractId: found.contract_id,
      version: found.version,
      workloads: found.workloads.map((w) => ({ ...w })),
      publicIps: contract?.publicIps ?? 0,
    };
    cache.set(key, state);
    return state;
  }

  async function read(node: number, group: string, contractId: number, name: string): Promise<ReadResult> {
    try {
      const contract = await deps.chain.getContract(contractId);
      if (!contract || contract.state === 'deleted') return { status: 'gone', contractId, message: `contract ${contractId} is not active on the chain` };
      let d: DeploymentJson;
      try {
        d = await nodeCall(node, (api) => api.get(contractId));
      } catch (err) {
        const text = errorText(err);
        if (DEPLOYMENT_NOT_FOUND.test(text)) return { status: 'gone', contractId, message: text };
        return { status: 'unreachable', contractId, message: `node ${node}: ${text}` };
      }
      cache.delete(keyOf(node, group));
      const w = d.workloads.find((x) => x.name === name);
      if (!w) return { status: 'gone', contractId, version: d.version, message: `workload "${name}" is not in deployment ${contractId}` };
      const state = w.result?.state ?? 'init';
      const status = contract.state === 'grace' || state === 'paused' ? 'paused' : state === 'ok' ? 'ok' : state === 'error' ? 'error' : 'init';
      return { status, contractId, version: d.version, workload: w, message: w.result?.message };
    } catch (err) {
      return { status: 'unreachable', contractId, message: errorText(err) };
    }
  }

  return { cache, load, read };
}
