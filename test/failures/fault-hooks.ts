/**
 * Faults timed to the provider's own calls: `arm` runs an action (kill a node, restart the relay, a rival's chain
 * transaction) when the provider makes the first call that matches, so the fault lands inside `up` or `destroy`
 * at a point the scenario names rather than after a sleep. `errorOnce` makes a node's next answer show one
 * workload in `error`, as a node whose provisioning failed. Wraps the real connection below `instrument`
 * (test/provider/grid-faults.ts), which keeps its own faults (failNext, setDown, setStalled) on top.
 * @module
 */
import type { ContractOp, DeploymentJson, NodeApi } from '../../provider/deps';
import type { GridConnection } from '../../provider/runtime';

export type CallPoint = { kind: 'submit'; ops: ContractOp[] } | { kind: 'node'; nodeId: number; method: keyof NodeApi };

export interface HookedConnection extends GridConnection {
  /**
   * On the first call matching `match`, starts `action`; `blocking` holds the call until the action is done (the
   * fault is there before the call goes out), otherwise the call goes on at once (the fault lands while in flight).
   * Resolves the returned promise when the action has finished.
   */
  arm(match: (p: CallPoint) => boolean, action: () => Promise<void>, blocking: boolean): Promise<void>;
  /** The next `get` from `nodeId` that holds workload `name` shows it in `error` with `message`. */
  errorOnce(nodeId: number, name: string, message: string): void;
  /** Drops armed actions that never fired. */
  disarm(): void;
}

interface Armed {
  match: (p: CallPoint) => boolean;
  action: () => Promise<void>;
  blocking: boolean;
  done: (v: Promise<void>) => void;
}

export function hooked(conn: GridConnection): HookedConnection {
  let armed: Armed[] = [];
  const errors: { nodeId: number; name: string; message: string }[] = [];
  const fire = async (p: CallPoint): Promise<void> => {
    const hit = armed.find((a) => a.match(p));
    if (!hit) return;
    armed = armed.filter((a) => a !== hit);
    const run = hit.action();
    hit.done(run);
    if (hit.blocking) await run.catch(() => undefined);
  };
  const inner = conn.deps;
  const apis = new Map<number, NodeApi>();
  return {
    close: () => conn.close(),
    arm(match, action, blocking) {
      return new Promise<void>((resolve, reject) => armed.push({ match, action, blocking, done: (v) => v.then(resolve, reject) }));
    },
    errorOnce(nodeId, name, message) {
      errors.push({ nodeId, name, message });
    },
    disarm() {
      armed = [];
      errors.splice(0);
    },
    deps: {
      ...inner,
      chain: {
        ...inner.chain,
        submit: async (ops) => {
          await fire({ kind: 'submit', ops });
          return inner.chain.submit(ops);
        },
      },
      async node(nodeId) {
        const have = apis.get(nodeId);
        if (have) return have;
        const real = await inner.node(nodeId);
        const wrapped = {} as Record<string, unknown>;
        for (const method of Object.keys(real) as (keyof NodeApi)[]) {
          const fn = real[method] as (...a: unknown[]) => Promise<unknown>;
          wrapped[method] = async (...args: unknown[]) => {
            await fire({ kind: 'node', nodeId, method });
            const res = await fn(...args);
            if (method !== 'get') return res;
            const d = res as DeploymentJson;
            const e = errors.find((x) => x.nodeId === nodeId && d.workloads.some((w) => w.name === x.name));
            if (!e) return res;
            errors.splice(errors.indexOf(e), 1);
            return { ...d, workloads: d.workloads.map((w) => (w.name === e.name ? { ...w, result: { ...w.result, state: 'error', message: e.message } } : w)) };
          };
        }
        const api = wrapped as unknown as NodeApi;
        apis.set(nodeId, api);
        return api;
      },
    },
  };
}
