/**
 * Issue 16's failure scenarios on the failure grid (failure-grid.ts), each during `up` or `destroy` of a small
 * stack (a network over 2 nodes, a machine on node 1, a 0-db and a disk in one deployment on node 2, plus a public
 * IP or a gateway name where the fault needs one). A scenario arms its fault to land inside the operation, and
 * `settle` undoes it afterwards (the node started again, the rival's contract cancelled). `runScenario` then
 * checks, in a new provider process as the next Pulumi run would be: the orphan scan, lost resources, what
 * `refresh` detected, and that a second `up --refresh` converges (every workload ok on the grid, the twin's active
 * contracts exactly those the state owns); a clean `destroy` must then leave no contract at all.
 * @module
 */
import { ChainError } from '../../protocol/common/errors';
import { audit, healthyOnGrid, orphansOf, ownedContracts } from './audit';
import type { FailureGrid } from './failure-grid';
import { destroy, outsOf, up, type ResourceSpec, type StackState, type Step } from './mini-stack';

export type Phase = 'up' | 'destroy';

export interface Scenario {
  name: string;
  phase: Phase;
  /** Resources this scenario adds to the base stack. */
  extras?(g: FailureGrid, tag: string): ResourceSpec[];
  /** Arms the fault (it fires inside the operation); returns what undoes it. */
  arm(g: FailureGrid, rnd: () => number, tag: string): Promise<() => Promise<void>>;
}

const pick = <T>(rnd: () => number, xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
const onB = (g: FailureGrid) => (p: { kind: string; nodeId?: number; method?: string }) => p.kind === 'node' && p.nodeId === g.nodeIds[1] && p.method === 'deploy';
const anySubmit = (p: { kind: string }) => p.kind === 'submit';

/** The base stack of every scenario. */
export function baseStack(g: FailureGrid): ResourceSpec[] {
  const [a, b] = g.nodeIds;
  return [
    { urn: 'net', type: 'Network', wave: 0, inputs: () => ({ name: 'fnet', nodes: [a, b] }) },
    {
      urn: 'vm',
      type: 'ZMachine',
      wave: 1,
      inputs: (s: StackState) => ({
        node: a,
        deployment: 'app',
        name: 'vm',
        flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
        network: { name: 'fnet', subnets: outsOf(s, 'net').nodeSubnets },
        cpu: 1,
        memory: '512MiB',
      }),
    },
    { urn: 'db', type: 'Zdb', wave: 1, inputs: () => ({ node: b, deployment: 'data', name: 'db', size: '1GiB' }) },
    { urn: 'disk', type: 'ZMount', wave: 1, inputs: () => ({ node: b, deployment: 'data', name: 'disk', size: '1GiB' }) },
  ];
}

/** Kills node 2 when the armed call comes (held or in flight, at random), starts it again at once. */
function killAndRestart(phase: Phase): Scenario {
  return {
    name: 'node SIGKILL + restart',
    phase,
    async arm(g, rnd) {
      const restarted = g.hooks().arm(
        phase === 'up' ? onB(g) : anySubmit,
        async () => {
          await g.killNode(1);
          await g.startNode(1);
        },
        rnd() < 0.5,
      );
      return () => restarted;
    },
  };
}

function nodeDown(phase: Phase): Scenario {
  return {
    name: 'node down for the run',
    phase,
    async arm(g) {
      await g.killNode(1);
      return () => g.startNode(1);
    },
  };
}

function relayRestart(phase: Phase): Scenario {
  return {
    name: 'relay restarted',
    phase,
    async arm(g, rnd) {
      const done = g.hooks().arm(phase === 'up' ? onB(g) : anySubmit, () => g.restartRelay(pick(rnd, [200, 1000, 3000])), rnd() < 0.5);
      return () => done;
    },
  };
}

function chainRestart(phase: Phase): Scenario {
  return {
    name: 'chain endpoint restarted',
    phase,
    async arm(g, rnd) {
      // Not held: the submit goes out and the connection drops under it (the transaction may still land).
      const done = g.hooks().arm(anySubmit, () => g.restartChain(pick(rnd, [200, 1000, 3000])), rnd() < 0.3);
      return () => done;
    },
  };
}

/** A rival twin takes the farm's only public IP between the preview check and the provider's transaction. */
const noPublicIp: Scenario = {
  name: 'tx fails: no free public IP',
  phase: 'up',
  extras: (g) => [{ urn: 'ip', type: 'PublicIp', wave: 1, inputs: () => ({ node: g.nodeIds[0], deployment: 'pub', name: 'ip' }) }],
  async arm(g) {
    let taken = 0;
    const done = g.hooks().arm(
      (p) => p.kind === 'submit' && p.ops.some((o) => o.kind === 'createNode' && o.publicIps > 0),
      async () => {
        taken = (await g.rival.chain.createNodeContract({ nodeId: g.nodeIds[0], hash: '0'.repeat(32), publicIps: 1 })).contractId;
      },
      true,
    );
    return async () => {
      await done;
      if (taken) await g.rival.chain.cancelContract(taken);
    };
  },
};

/** A rival twin registers the gateway name between the preview check and the provider's transaction. */
const nameTaken: Scenario = {
  name: 'tx fails: name taken',
  phase: 'up',
  extras: (g, tag) => [{ urn: 'gw', type: 'NameProxy', wave: 1, inputs: () => ({ node: g.nodeIds[0], deployment: 'gw', name: 'web', subdomain: `f${tag}`, backends: ['http://198.51.100.2:8080'] }) }],
  async arm(g, _rnd, tag) {
    let taken = 0;
    const done = g.hooks().arm(
      (p) => p.kind === 'submit' && p.ops.some((o) => o.kind === 'createName'),
      async () => {
        taken = (await g.rival.chain.createNameContract(`f${tag}`)).contractId;
      },
      true,
    );
    return async () => {
      await done;
      if (taken) await g.rival.chain.cancelContract(taken);
    };
  },
};

/** The chain refuses the destroy's cancel transaction (injected before it reaches the chain). */
const cancelRefused: Scenario = {
  name: 'tx fails: cancel refused',
  phase: 'destroy',
  async arm(g) {
    // Twice: a refused batch of several plans is retried plan by plan (provider/coordinator/submit.ts), and the
    // first of those retries is refused too, so one resource's delete really fails.
    const refusal = () => new ChainError('injected: transaction refused (smartContractModule.ContractNotExists)', { module: 'test', error: 'injected' });
    g.conn().failNext('cancel', refusal());
    g.conn().failNext('cancel', refusal());
    return async () => {};
  },
};

const nodeError: Scenario = {
  name: 'node answers error (1 workload)',
  phase: 'up',
  async arm(g) {
    g.hooks().errorOnce(g.nodeIds[0], 'vm', 'injected: failed to start the machine');
    return async () => {};
  },
};

/** Node 2 keeps every workload in `init` past the deploy timeout. */
const deployTimeout: Scenario = {
  name: 'deploy timeout',
  phase: 'up',
  async arm(g) {
    g.conn().setStalled(g.nodeIds[1], true);
    return async () => g.conn().setStalled(g.nodeIds[1], false);
  },
};

export const SCENARIOS: Scenario[] = [
  killAndRestart('up'),
  killAndRestart('destroy'),
  nodeDown('up'),
  nodeDown('destroy'),
  relayRestart('up'),
  relayRestart('destroy'),
  chainRestart('up'),
  chainRestart('destroy'),
  noPublicIp,
  cancelRefused,
  nameTaken,
  nodeError,
  deployTimeout,
];

export interface RunResult {
  /** The faulted operation reported a failure. */
  faultFailed: boolean;
  orphans: number;
  lost: number;
  refreshDetected: number;
  converged: boolean;
  /** Why it did not converge (or what the audit found), for the test's message. */
  notes: string[];
}

const errorsOf = (steps: Step[]) => steps.filter((s) => s.error).map((s) => `${s.op} ${s.urn}: ${s.error}`);

/** A second `up --refresh` (new provider process): no failed step, every resource ok on the grid, contracts == state. */
async function converges(g: FailureGrid, specs: ResourceSpec[], state: StackState, notes: string[]): Promise<boolean> {
  await g.newProviderProcess();
  const steps = await up(specs, state, { refresh: true });
  notes.push(...errorsOf(steps).map((e) => `second up: ${e}`));
  const deps = g.conn().deps;
  const unhealthy: string[] = [];
  for (const [urn, e] of state) if (!(await healthyOnGrid(deps, e))) unhealthy.push(urn);
  const missing = specs.filter((s) => !state.has(s.urn)).map((s) => s.urn);
  const active = await g.activeContracts();
  const owned = [...new Set([...state.values()].flatMap((e) => ownedContracts(e.outs)))].sort((a, b) => a - b);
  if (unhealthy.length || missing.length) notes.push(`second up: not ok on the grid: ${[...unhealthy, ...missing].join(', ')}`);
  if (JSON.stringify(owned) !== JSON.stringify(active)) notes.push(`second up: state owns ${owned} but the chain has ${active}`);
  return steps.every((s) => !s.error) && unhealthy.length === 0 && missing.length === 0 && JSON.stringify(owned) === JSON.stringify(active);
}

/** The stack between runs: an up-phase run leaves it up, a destroy-phase run destroys it. */
export interface Stack {
  specs: ResourceSpec[];
  state: StackState;
}

/** `destroy` that must leave nothing: no failed step, empty state, no active contract. Returns what is wrong. */
async function cleanDestroy(g: FailureGrid, state: StackState, notes: string[], what: string): Promise<number> {
  await g.newProviderProcess();
  const steps = await destroy(state);
  const left = await g.activeContracts();
  if (errorsOf(steps).length || left.length || state.size) notes.push(`${what}: ${errorsOf(steps).join('; ')} contracts left ${left}`);
  return orphansOf(left, state).length;
}

/**
 * One run of `s` on `stack`. During `up`: from an empty stack, fault inside `up`, audit, then a second
 * `up --refresh` must converge (the stack stays up). During `destroy`: from the stack up (brought up first when
 * it is not), fault inside `destroy`, audit, then a second `destroy` must finish with no contract left.
 */
export async function runScenario(g: FailureGrid, s: Scenario, stack: Stack, tag: string, rnd: () => number): Promise<RunResult> {
  const t0 = Date.now();
  const mark = (what: string) => process.env.FAILURE_DEBUG && process.stderr.write(`[failures] ${s.name}/${s.phase} ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const notes: string[] = [];
  let orphans = 0;
  if (s.phase === 'up') {
    if (stack.state.size) orphans += await cleanDestroy(g, stack.state, notes, 'destroy before the run');
    stack.specs = [...baseStack(g), ...(s.extras?.(g, tag) ?? [])];
  } else if (stack.state.size === 0) {
    stack.specs = baseStack(g);
    await g.newProviderProcess();
    const steps = await up(stack.specs, stack.state);
    if (errorsOf(steps).length) throw new Error(`the stack did not come up before the fault: ${errorsOf(steps).join('; ')}`);
  }
  const { specs, state } = stack;
  mark('start');
  await g.newProviderProcess();
  const settle = await s.arm(g, rnd, tag);
  const steps = s.phase === 'up' ? await up(specs, state) : await destroy(state);
  mark('faulted op');
  await settle();
  g.hooks().disarm();
  const faultFailed = errorsOf(steps).length > 0;
  await g.newProviderProcess();
  const found = await audit(g.conn().deps, await g.activeContracts(), state);
  if (found.orphans.length) notes.push(`orphans after the fault: ${found.orphans}`);
  if (found.lost.length) notes.push(`lost: ${found.lost}`);
  mark('audited');
  let converged: boolean;
  if (s.phase === 'up') converged = await converges(g, specs, state, notes);
  else {
    const left = await cleanDestroy(g, state, notes, 'second destroy');
    orphans += left;
    converged = notes.every((n) => !n.startsWith('second destroy'));
  }
  mark('converged');
  return { faultFailed, orphans: orphans + found.orphans.length, lost: found.lost.length, refreshDetected: found.refreshDetected.length, converged, notes };
}

/** Ends a sequence of runs: the stack destroyed, nothing left on the chain; returns the orphans it found. */
export async function endRuns(g: FailureGrid, stack: Stack, notes: string[]): Promise<number> {
  return stack.state.size ? cleanDestroy(g, stack.state, notes, 'final destroy') : orphansOf(await g.activeContracts(), stack.state).length;
}
