/**
 * The deployment coordinator on the real grid pieces (DESIGN.md §4, zos-protocol.md §3.2–§3.5, rmb-tfchain.md §B2):
 * versioning, coalescing into one version bump and one chain transaction, batching across deployments, version
 * conflict retry (a second coordinator moves the version), rollback of a deploy the node refuses, the node's text
 * surfaced, the public-IP rule, read drift. Chain, relay and node runtimes are real (provider-grid.ts); faults the
 * grid cannot produce on demand (a failing batch, an unreachable chain, a node down) wrap the real connection.
 * One grid and one user for the file; each test uses its own deployment groups.
 */
import { ChainError, ConflictError, RmbError, ZosError } from '../../protocol/common/errors';
import { createCoordinator, type ApplyResult, type Coordinator, type WorkloadOp } from '../../provider/deployment-coordinator';
import type { InstrumentedConnection } from './grid-faults';
import { startProviderGrid, type GridUser, type ProviderGrid } from './provider-grid';

const GIB = 1024 ** 3;
const disk = (name: string, size = GIB): WorkloadOp => ({ kind: 'upsert', workload: { name, type: 'zmount', data: { size } } });
const pip = (name: string): WorkloadOp => ({ kind: 'upsert', workload: { name, type: 'ip', data: { v4: true, v6: false } }, publicIps: 1 });

describe('deployment coordinator on the local chain, relay and nodes', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let conn: InstrumentedConnection;
  let n1: number, n2: number, n3: number;
  const coordinators: Coordinator[] = [];
  const coordinator = (opts: { coalesceMs?: number } = {}) => {
    const co = createCoordinator(conn.deps, { coalesceMs: opts.coalesceMs ?? 20, newGroupMs: 100, pollMs: 100, deployTimeoutMs: 30_000 });
    coordinators.push(co);
    return co;
  };
  const versions = async (node: number, contract: number) => {
    const d = await (await conn.deps.node(node)).get(contract);
    return Object.fromEntries(d.workloads.map((w) => [w.name, w.version]));
  };
  const delta = () => {
    const c0 = { ...conn.counters };
    return () => ({ transactions: conn.counters.transactions - c0.transactions, chainOps: conn.counters.chainOps - c0.chainOps, deploys: conn.counters.deploys - c0.deploys });
  };

  beforeAll(async () => {
    g = await startProviderGrid();
    [n1, n2, n3] = g.nodeIds;
    user = await g.user();
    conn = await g.connect(user);
  }, 120_000);

  afterAll(async () => {
    coordinators.forEach((c) => c.close());
    await g?.close();
  });

  it('creates a contract and deploys v0, bumps only touched workloads, and cancels with the last one', async () => {
    const co = coordinator();
    const a = await co.apply({ node: n1, group: 'basic', op: disk('a') });
    expect(a).toMatchObject({ version: 0, workload: { result: { state: 'ok' } } });
    expect(await g.activeContracts(user)).toEqual([a.contractId]);

    const b = await co.apply({ node: n1, group: 'basic', op: disk('b') });
    expect(b).toMatchObject({ contractId: a.contractId, version: 1 });
    expect(await versions(n1, a.contractId)).toEqual({ a: 0, b: 1 });

    const grown = await co.apply({ node: n1, group: 'basic', op: disk('a', 2 * GIB) });
    expect(grown.version).toBe(2);
    expect(await versions(n1, a.contractId)).toEqual({ a: 2, b: 1 });
    const onChain = await conn.deps.chain.getContract(a.contractId);
    // The node returns workloads shuffled (shuffleGet, like real nodes): put them back in the order the
    // coordinator signed before hashing, and check they are the same workloads.
    const sent = await co.current(n1, 'basic', a.contractId);
    const fetched = await (await conn.deps.node(n1)).get(a.contractId);
    const order = sent!.workloads.map((w) => w.name);
    expect(fetched.workloads.map((w) => w.name).sort()).toEqual([...order].sort());
    const reordered = { ...fetched, workloads: order.map((n) => fetched.workloads.find((w) => w.name === n)!) };
    expect(onChain?.deploymentHash).toBe(conn.deps.codec.hashDeployment(reordered));

    const d = delta();
    expect((await co.apply({ node: n1, group: 'basic', op: disk('b') })).version).toBe(2); // same data: nothing sent
    expect(d().transactions).toBe(0);

    expect((await co.apply({ node: n1, group: 'basic', op: { kind: 'remove', name: 'a' } })).version).toBe(3);
    expect((await co.apply({ node: n1, group: 'basic', op: { kind: 'remove', name: 'b' } })).contractId).toBe(0);
    expect((await g.chain.getContract(a.contractId))?.state ?? 'deleted').toBe('deleted');
    expect(await g.activeContracts(user)).toEqual([]);
  });

  it('coalesces concurrent operations on one deployment into one version and one chain transaction', async () => {
    const co = coordinator();
    const d = delta();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => co.apply({ node: n2, group: 'burst', op: disk(`d${i}`) })));
    expect(new Set(results.map((r) => r.contractId)).size).toBe(1);
    expect(results.every((r) => r.version === 0 && r.workload?.result?.state === 'ok')).toBe(true);
    expect(d()).toMatchObject({ transactions: 1, deploys: 1 });
    await Promise.all(results.map((_, i) => co.apply({ node: n2, group: 'burst', op: { kind: 'remove', name: `d${i}` } })));
  });

  it('keeps the window open while a wave keeps arriving: requests spread over several windows are one transaction', async () => {
    // A wave of hundreds of resources reaches the coordinator spread out (each reads the grid first); here each
    // window's wait lets the next request in, as a wave wider than one window does (bench/stack-scale: destroy).
    const late: Promise<ApplyResult>[] = [];
    let next = 1;
    const co: Coordinator = createCoordinator(
      {
        ...conn.deps,
        sleep: async (ms) => {
          if (ms === 20 && next < 5) late.push(co.apply({ node: n1, group: 'trickle', op: disk(`t${next++}`) }));
          await conn.deps.sleep(ms);
        },
      },
      { coalesceMs: 20, newGroupMs: 200, pollMs: 100, deployTimeoutMs: 30_000 },
    );
    coordinators.push(co);
    const d = delta();
    const first = await co.apply({ node: n1, group: 'trickle', op: disk('t0') });
    const results = [first, ...(await Promise.all(late))];
    expect(results).toHaveLength(5);
    expect(results.every((r) => r.version === 0 && r.contractId === first.contractId)).toBe(true);
    expect(d()).toMatchObject({ transactions: 1, deploys: 1 });
    await Promise.all(results.map((_, i) => co.apply({ node: n1, group: 'trickle', op: { kind: 'remove', name: `t${i}` } })));
  });

  it('sends each operation alone when coalescing is off (coalesceMs 0)', async () => {
    const co = createCoordinator(conn.deps, { coalesceMs: 0, newGroupMs: 0, pollMs: 100, deployTimeoutMs: 30_000 });
    coordinators.push(co);
    const first = await co.apply({ node: n3, group: 'solo', op: disk('d0') });
    const d = delta();
    const rest = await Promise.all([1, 2].map((i) => co.apply({ node: n3, group: 'solo', op: disk(`d${i}`) })));
    expect([first, ...rest].map((r) => r.version).sort()).toEqual([0, 1, 2]);
    expect(d().transactions).toBe(2);
  });

  it('batches contract operations of several deployments into one chain transaction', async () => {
    const co = coordinator();
    const d = delta();
    const results = await Promise.all([n1, n2, n3].map((node) => co.apply({ node, group: 'spread', op: disk('a') })));
    expect(new Set(results.map((r) => r.contractId)).size).toBe(3);
    expect(d()).toMatchObject({ transactions: 1, chainOps: 3 });
  });

  it('isolates a failing deployment when the batch fails', async () => {
    const co = coordinator();
    conn.failNext('submit', new ChainError('smartContractModule.FarmHasNotEnoughPublicIPsFree', { module: 'smartContractModule', error: 'FarmHasNotEnoughPublicIPsFree' }));
    const d = delta();
    const results = await Promise.allSettled([n1, n2].map((node) => co.apply({ node, group: 'isolate', op: disk('a') })));
    // the batch failed once; each deployment was then sent on its own and succeeded
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(d().transactions).toBe(3);
  });

  it('re-reads the deployment and retries after another process moved the version', async () => {
    const mine = coordinator();
    const a = await mine.apply({ node: n2, group: 'race', op: disk('a') });
    const other = coordinator(); // no cache: reads v0 from the node and moves it to v1
    expect((await other.apply({ node: n2, group: 'race', op: disk('b') })).version).toBe(1);
    const c = await mine.apply({ node: n2, group: 'race', op: disk('c') });
    expect(c).toMatchObject({ contractId: a.contractId, version: 2, workload: { result: { state: 'ok' } } });
    expect(await versions(n2, a.contractId)).toEqual({ a: 0, b: 1, c: 2 });
  });

  it('gives up with a ConflictError naming the node text when retries are exhausted', async () => {
    const co = createCoordinator(conn.deps, { coalesceMs: 20, newGroupMs: 100, pollMs: 100, conflictRetries: 0 });
    coordinators.push(co);
    await co.apply({ node: n3, group: 'race2', op: disk('a') });
    await coordinator().apply({ node: n3, group: 'race2', op: disk('b') });
    const err = await co.apply({ node: n3, group: 'race2', op: disk('c') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/expecting deployment version 2, got 1/);
  });

  it('cancels the new contract when the node refuses the deploy', async () => {
    const co = coordinator();
    const before = await g.activeContracts(user);
    const err = (await co.apply({ node: n2, group: 'refused', op: disk('zero', 0) }).catch((e: unknown) => e)) as ZosError;
    expect(err).toBeInstanceOf(ZosError);
    expect(err.message).toMatch(/^node \d+: node contract \d+ created, deploy failed \(.*invalid size.*\); contract cancelled$/);
    expect(await g.activeContracts(user)).toEqual(before);
  });

  it('reports the contract for cleanup when even the rollback fails', async () => {
    const co = coordinator();
    conn.failNext('cancel', new ChainError('chain unreachable'));
    const err = (await co.apply({ node: n2, group: 'refused2', op: disk('zero', 0) }).catch((e: unknown) => e)) as ZosError;
    const id = Number(err.context.partialContractId);
    expect(id).toBeGreaterThan(0);
    expect(err.message).toMatch(/cancelling it failed too \(chain unreachable\); node contract \d+ recorded so destroy cancels it/);
    expect(await g.activeContracts(user)).toContain(id);
    await conn.deps.chain.submit([{ kind: 'cancel', contractId: id }]);
  });

  it('surfaces the node text of a workload in error', async () => {
    const co = coordinator();
    const vm: WorkloadOp = {
      kind: 'upsert',
      workload: {
        name: 'vm',
        type: 'zmachine',
        data: {
          flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
          network: { public_ip: '', planetary: false, interfaces: [{ network: 'nowhere', ip: '10.20.2.5' }] },
          size: 0,
          compute_capacity: { cpu: 1, memory: 512 * 1024 ** 2 },
          mounts: [],
          entrypoint: '',
          env: {},
          corex: false,
        },
      },
    };
    const err = (await co.apply({ node: n1, group: 'broken', op: vm }).catch((e: unknown) => e)) as ZosError;
    expect(err).toBeInstanceOf(ZosError);
    expect(String(err.context.nodeMessage)).toMatch(/network 'nowhere' not found/);
    expect(err.message).toContain(`is in state error: ${String(err.context.nodeMessage)}`);
  });

  it('reports a refused shrink (unchanged) with the node text instead of waiting forever', async () => {
    const co = coordinator();
    await co.apply({ node: n3, group: 'shrink', op: disk('a', 2 * GIB) });
    const err = (await co.apply({ node: n3, group: 'shrink', op: disk('a', GIB) }).catch((e: unknown) => e)) as ZosError;
    expect(err.context).toMatchObject({ workloadState: 'unchanged', nodeMessage: 'not safe to shrink a disk' });
  });

  it('reserves a farm IP when the contract is created with the ip workload, and refuses to add one later', async () => {
    const co = coordinator();
    const [ip] = await Promise.all([co.apply({ node: n1, group: 'web', op: pip('ip') }), co.apply({ node: n1, group: 'web', op: disk('a') })]);
    expect((await conn.deps.chain.getContract(ip.contractId))?.publicIps).toBe(1);
    expect(g.testGrid.farmIps.map((f) => f.ip)).toContain((ip.workload?.result?.data as { ip: string } | undefined)?.ip);

    const late = (await co
      .apply({ node: n1, group: 'basic2', op: disk('a') })
      .then(() => co.apply({ node: n1, group: 'basic2', op: pip('ip') }))
      .catch((e: unknown) => e)) as ZosError;
    expect(late.message).toMatch(/cannot add public IPs to an existing node contract/);
    expect(late.context.fix).toMatch(/new deployment group/);
    await co.apply({ node: n1, group: 'web', op: { kind: 'remove', name: 'ip' } });
  });

  it('finds an existing group deployment from a fresh coordinator (no cache) through the node', async () => {
    const a = await coordinator().apply({ node: n1, group: 'found', op: disk('a') });
    const b = await coordinator().apply({ node: n1, group: 'found', op: disk('b') });
    expect(b).toMatchObject({ contractId: a.contractId, version: 1 });
  });

  it('read reports ok, gone and unreachable without throwing', async () => {
    const co = coordinator();
    const a = await co.apply({ node: n2, group: 'read', op: disk('a') });
    expect((await co.read(n2, 'read', a.contractId, 'a')).status).toBe('ok');
    expect((await co.read(n2, 'read', a.contractId, 'zzz')).status).toBe('gone');
    conn.setDown(n2, true);
    const down = await co.read(n2, 'read', a.contractId, 'a');
    conn.setDown(n2, false);
    expect(down).toMatchObject({ status: 'unreachable', message: expect.stringMatching(/relay timeout/) });
    await conn.deps.chain.submit([{ kind: 'cancel', contractId: a.contractId }]); // behind the coordinator's back
    expect((await co.read(n2, 'read', a.contractId, 'a')).status).toBe('gone');
  });

  it('wraps chain failures with the deployment group and node', async () => {
    const co = coordinator();
    conn.failNext('submit', new ChainError('smartContractModule.NodeNotExists', { module: 'smartContractModule', error: 'NodeNotExists' }));
    const err = (await co.apply({ node: n3, group: 'chainfail', op: disk('a') }).catch((e: unknown) => e)) as ChainError;
    expect(err).toBeInstanceOf(ChainError);
    expect(err.message).toBe(`deployment group "chainfail": create node contract on node ${n3} failed: smartContractModule.NodeNotExists`);
  });

  it('fails a deploy that the relay never delivers, cancelling the contract', async () => {
    const co = coordinator();
    const before = await g.activeContracts(user);
    conn.failNext('deploy', new RmbError('no reply from twin within 20s (relay timeout)'));
    const err = (await co.apply({ node: n3, group: 'lost', op: disk('a') }).catch((e: unknown) => e)) as ZosError;
    expect(err.message).toMatch(/deploy failed \(no reply from twin within 20s \(relay timeout\)\); contract cancelled/);
    expect(await g.activeContracts(user)).toEqual(before);
  });

  it('removes a workload whose name contract the same transaction cancels, though the node flags it on the way out', async () => {
    // zosbase's name-contract check can see the cancel before the update job drops the workload: for a moment `get`
    // shows the new version with the workload in `error` (§6.5 text). The removal still happens; it did not fail.
    const [{ contractId: nameContract }] = await conn.deps.chain.submit([{ kind: 'createName', name: 'coordrace' }]);
    const shownFlagged = new Set<string>();
    let addedAt = Infinity; // the version that added gw: later versions no longer carry it
    const flagging: typeof conn.deps = {
      ...conn.deps,
      async node(id) {
        const api = await conn.deps.node(id);
        return {
          ...api,
          async get(contract) {
            const d = await api.get(contract);
            if (d.version <= addedAt || d.workloads.some((w) => w.name === 'gw') || shownFlagged.has(`${contract}`)) return d;
            shownFlagged.add(`${contract}`);
            const refusal = {
              state: 'error' as const,
              message: 'failed to verify name contract: a name contract with the given name must be reserved first',
              created: Math.floor(Date.now() / 1000),
              data: null,
            };
            return { ...d, workloads: [...d.workloads, { version: 1, name: 'gw', type: 'zmount', data: { size: GIB }, metadata: '', description: '', result: refusal }] };
          },
        };
      },
    };
    const co = createCoordinator(flagging, { coalesceMs: 20, newGroupMs: 100, pollMs: 100, deployTimeoutMs: 30_000 });
    coordinators.push(co);
    const keep = await co.apply({ node: n2, group: 'namerace', op: disk('keep') });
    addedAt = (await co.apply({ node: n2, group: 'namerace', op: disk('gw') })).version;
    const removed = await co.apply({ node: n2, group: 'namerace', op: { kind: 'remove', name: 'gw' }, extraChainOps: [{ kind: 'cancel', contractId: nameContract }] });
    expect(removed.version).toBe(addedAt + 1);
    expect(shownFlagged.size).toBe(1);
    expect((await g.chain.getContract(nameContract))?.state ?? 'deleted').toBe('deleted');
    expect(Object.keys(await versions(n2, keep.contractId))).toEqual(['keep']);
    await co.apply({ node: n2, group: 'namerace', op: { kind: 'remove', name: 'keep' } });
  });
});
