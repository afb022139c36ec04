/**
 * Fault injection and counting around the provider's real grid connection (style.md §5: wrap the real pieces,
 * never fake them; rmb-tfchain.md §A errors, §B2 batchAll). `instrument(conn)` returns the same connection whose
 * chain `submit` and node calls are counted, and can be told to fail the next call of a kind before it reaches
 * the chain or the relay (`failNext('deploy', new RmbError('relay timeout'))`), or to treat a node as unreachable.
 * Everything that is not failed goes to the real chain and the real node runtimes.
 * @module
 */
import { ChainError, RmbError, ZosError } from '../../protocol/common/errors';
import type { ContractOp, NodeApi, DeploymentJson } from '../../provider/deps';
import type { GridConnection } from '../../provider/runtime';

/** `submit`: any chain transaction; `cancel`: one that cancels a contract; the rest: node commands. */
export type FaultPoint = 'submit' | 'cancel' | keyof NodeApi;

export interface GridCounters {
  /** Chain transactions sent (one `batchAll` is one). */
  transactions: number;
  /** Contract operations inside them. */
  chainOps: number;
  /** Node commands sent over RMB. */
  rmbCalls: number;
  /** Node commands per NodeApi method. */
  rmbByMethod: Record<string, number>;
  deploys: number;
  updates: number;
  /** Chain reads (every ProviderChain call but `submit`), per method. */
  chainReads: Record<string, number>;
  /** Grid proxy requests, per endpoint (`nodes`, `node`, `contracts`). */
  proxyCalls: Record<string, number>;
}

/** Wraps every method of `target` but those in `skip` so that each call first counts in `into[method]`. */
function counted<T extends object>(target: T, into: Record<string, number>, skip: string[] = []): T {
  const out = { ...target } as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    const fn = (target as Record<string, unknown>)[key];
    if (typeof fn !== 'function' || skip.includes(key)) continue;
    out[key] = (...args: unknown[]) => {
      into[key] = (into[key] ?? 0) + 1;
      return (fn as (...a: unknown[]) => unknown).apply(target, args);
    };
  }
  return out as T;
}

export interface InstrumentedConnection extends GridConnection {
  readonly counters: GridCounters;
  /** The next call at `point` throws `error` without reaching the chain or node. */
  failNext(point: FaultPoint, error: Error): void;
  /** While down, every call to the node fails as a relay timeout would. */
  setDown(nodeId: number, down: boolean): void;
  /** While stalled, the node's `get` shows every workload still provisioning (`init`), as a node that never finishes. */
  setStalled(nodeId: number, stalled: boolean): void;
}

/** Wire-format faults (test fixtures write them as JSON): a kind and a message. */
export interface FaultSpec {
  kind: 'chain' | 'rmb' | 'zos';
  message: string;
}

export function faultError(f: FaultSpec): Error {
  if (f.kind === 'chain') return new ChainError(f.message, { module: 'test', error: f.message });
  if (f.kind === 'zos') return new ZosError(f.message, { nodeMessage: f.message });
  return new RmbError(f.message);
}

/**
 * Wraps a real connection. `beforeCall` runs before every counted call (the plugin fixture arms faults from a
 * file there).
 * @example const conn = instrument(await createGridConnection(cfg)); conn.failNext('cancel', new ChainError('chain unreachable'));
 */
export function instrument(conn: GridConnection, beforeCall: (c: InstrumentedConnection) => void = () => {}): InstrumentedConnection {
  const counters: GridCounters = { transactions: 0, chainOps: 0, rmbCalls: 0, rmbByMethod: {}, deploys: 0, updates: 0, chainReads: {}, proxyCalls: {} };
  const faults = new Map<FaultPoint, Error[]>();
  const down = new Set<number>();
  const stalled = new Set<number>();
  const take = (p: FaultPoint): Error | undefined => {
    const q = faults.get(p);
    const e = q?.shift();
    if (q && q.length === 0) faults.delete(p);
    return e;
  };
  const inner = conn.deps;
  const apis = new Map<number, NodeApi>();
  const self: InstrumentedConnection = {
    counters,
    failNext(point, error) {
      faults.set(point, [...(faults.get(point) ?? []), error]);
    },
    setDown(nodeId, isDown) {
      if (isDown) down.add(nodeId);
      else down.delete(nodeId);
    },
    setStalled(nodeId, on) {
      if (on) stalled.add(nodeId);
      else stalled.delete(nodeId);
    },
    close: () => conn.close(),
    deps: {
      ...inner,
      gridProxy: inner.gridProxy && counted(inner.gridProxy, counters.proxyCalls),
      chain: {
        ...counted(inner.chain, counters.chainReads, ['submit']),
        submit: async (ops: ContractOp[]) => {
          beforeCall(self);
          counters.transactions++;
          counters.chainOps += ops.length;
          const f = take('submit') ?? (ops.some((o) => o.kind === 'cancel') ? take('cancel') : undefined);
          if (f) throw f;
          return inner.chain.submit(ops);
        },
      },
      async node(nodeId) {
        let api = apis.get(nodeId);
        if (api) return api;
        const real = await inner.node(nodeId);
        const wrapped = {} as Record<string, unknown>;
        for (const key of Object.keys(real) as (keyof NodeApi)[]) {
          const fn = real[key] as (...a: unknown[]) => Promise<unknown>;
          wrapped[key] = async (...args: unknown[]) => {
            beforeCall(self);
            counters.rmbCalls++;
            counters.rmbByMethod[key] = (counters.rmbByMethod[key] ?? 0) + 1;
            if (key === 'deploy') counters.deploys++;
            if (key === 'update') counters.updates++;
            if (down.has(nodeId)) throw new RmbError(`node ${nodeId}: no reply from twin within the timeout (relay timeout)`, { node: nodeId });
            const f = take(key);
            if (f) throw f;
            const res = await fn(...args);
            if (key === 'get' && stalled.has(nodeId)) {
              const d = res as DeploymentJson;
              return { ...d, workloads: d.workloads.map((w) => ({ ...w, result: { state: 'init', message: 'injected: still provisioning' } })) };
            }
            return res;
          };
        }
        api = wrapped as unknown as NodeApi;
        apis.set(nodeId, api);
        return api;
      },
    },
  };
  return self;
}
