/**
 * The deployment coordinator against the in-memory grid double (DESIGN.md §4, zos-protocol.md §3.2–§3.5):
 * versioning, coalescing into one version bump and one chain transaction, batching across deployments,
 * version-conflict retry, rollback of failed creates, node text surfaced, public-IP rule, read drift.
 */
import { ChainError, ZosError } from '../../protocol/common/errors';
import { createCoordinator, type Coordinator } from '../../provider/deployment-coordinator';
import { GridDouble } from './grid-double';

const disk = (name: string, size = 1024 ** 3) => ({ kind: 'upsert' as const, workload: { name, type: 'zmount', data: { size } } });

function setup(nodes = [1, 2, 3]): { grid: GridDouble; co: Coordinator } {
  const grid = new GridDouble(nodes.map((id) => ({ id, publicIpv4: id === 1 ? '185.1.1.2/24' : undefined })));
  const co = createCoordinator(grid.deps(), { coalesceMs: 1, pollMs: 1, deployTimeoutMs: 50 });
  return { grid, co };
}

describe('deployment coordinator', () => {
  it('creates a contract and deploys v0, then bumps only the touched workloads', async () => {
    const { grid, co } = setup();
    const a = await co.apply({ node: 1, group: 'g', op: disk('a') });
    expect(a.version).toBe(0);
    expect(a.workload?.result?.state).toBe('ok');
    expect(grid.activeContracts()).toHaveLength(1);

    const b = await co.apply({ node: 1, group: 'g', op: disk('b') });
    expect(b.contractId).toBe(a.contractId);
    expect(b.version).toBe(1);
    const d1 = await (await grid.nodeApi(1)).get(a.contractId);
    expect(Object.fromEntries(d1.workloads.map((w) => [w.name, w.version]))).toEqual({ a: 0, b: 1 });

    const grown = await co.apply({ node: 1, group: 'g', op: disk('a', 2 * 1024 ** 3) });
    expect(grown.version).toBe(2);
    const d2 = await (await grid.nodeApi(1)).get(a.contractId);
    expect(Object.fromEntries(d2.workloads.map((w) => [w.name, w.version]))).toEqual({ a: 2, b: 1 });
    expect(grid.contracts.get(a.contractId)?.deploymentHash).toBeDefined();
  });

  it('does nothing when the workload data did not change', async () => {
    const { grid, co } = setup();
    await co.apply({ node: 1, group: 'g', op: disk('a') });
    const tx = grid.counters.transactions;
    const again = await co.apply({ node: 1, group: 'g', op: disk('a') });
    expect(again.version).toBe(0);
    expect(grid.counters.transactions).toBe(tx);
  });

  it('cancels the contract when the last workload is removed', async () => {
    const { grid, co } = setup();
    const a = await co.apply({ node: 1, group: 'g', op: disk('a') });
    await co.apply({ node: 1, group: 'g', op: disk('b') });
    const r1 = await co.apply({ node: 1, group: 'g', op: { kind: 'remove', name: 'a' } });
    expect(r1.version).toBe(2);
    expect(grid.activeContracts()).toHaveLength(1);
    const r2 = await co.apply({ node: 1, group: 'g', op: { kind: 'remove', name: 'b' } });
    expect(r2.contractId).toBe(0);
    expect(grid.contracts.get(a.contractId)?.state).toBe('deleted');
    expect(grid.activeContracts()).toHaveLength(0);
  });

  it('coalesces concurrent operations on one deployment into one version and one chain transaction', async () => {
    const { grid, co } = setup();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => co.apply({ node: 1, group: 'g', op: disk(`d${i}`) })));
    expect(new Set(results.map((r) => r.contractId)).size).toBe(1);
    expect(results.every((r) => r.version === 0)).toBe(true);
    expect(grid.counters.transactions).toBe(1);
    expect(grid.counters.deploys).toBe(1);
  });

  it('sends each operation alone when coalescing is off (coalesceMs 0)', async () => {
    const grid = new GridDouble([{ id: 1 }]);
    const co = createCoordinator(grid.deps(), { coalesceMs: 0, pollMs: 1 });
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => co.apply({ node: 1, group: 'g', op: disk(`d${i}`) })));
    expect(results.map((r) => r.version).sort()).toEqual([0, 1, 2]);
    expect(grid.counters.transactions).toBe(3);
  });

  it('batches contract operations of several deployments into one chain transaction', async () => {
    const { grid, co } = setup();
    const results = await Promise.all([1, 2, 3].map((node) => co.apply({ node, group: 'g', op: disk('a') })));
    expect(new Set(results.map((r) => r.contractId)).size).toBe(3);
    expect(grid.counters.transactions).toBe(1);
    expect(grid.counters.chainOps).toBe(3);
  });

  it('isolates a failing deployment when the batch fails', async () => {
    const { grid, co } = setup();
    grid.faults.set('submit', 'FarmHasNotEnoughPublicIPsFree');
    const results = await Promise.allSettled([1, 2].map((node) => co.apply({ node, group: 'g', op: disk('a') })));
    // the batch failed once; each deployment was then retried on its own and succeeded
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(grid.activeContracts()).toHaveLength(2);
  });

  it('re-reads the deployment and retries after a version conflict', async () => {
    const { grid, co } = setup();
    const a = await co.apply({ node: 1, group: 'g', op: disk('a') });
    grid.bumpBehindTheBack(1, a.contractId);
    const b = await co.apply({ node: 1, group: 'g', op: disk('b') });
    expect(b.version).toBe(2);
    expect(b.workload?.result?.state).toBe('ok');
  });

  it('cancels the new contract when the node refuses the deploy', async () => {
    const { grid, co } = setup();
    grid.faults.set('deploy', 'failed to get public key for twin 7');
    const err = await co.apply({ node: 2, group: 'g', op: disk('a') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZosError);
    expect((err as ZosError).message).toMatch(/node contract \d+ created, deploy failed \(failed to get public key for twin 7\); contract cancelled/);
    expect(grid.activeContracts()).toHaveLength(0);
  });

  it('reports the contract for cleanup when even the rollback fails', async () => {
    const { grid, co } = setup();
    grid.faults.set('deploy', 'relay timeout');
    grid.faults.set('cancel', 'chain unreachable');
    const err = (await co.apply({ node: 2, group: 'g', op: disk('a') }).catch((e: unknown) => e)) as ZosError;
    expect(err.context.partialContractId).toBeGreaterThan(0);
    expect(err.message).toMatch(/recorded so destroy can cancel it/);
  });

  it('surfaces the node text of a workload in error', async () => {
    const { co } = setup();
    const op = { kind: 'upsert' as const, workload: { name: 'bad', type: 'zmount', data: { size: 1, _fail: 'failed to find a candidate to host vdisk of size 1' } } };
    const err = (await co.apply({ node: 1, group: 'g', op }).catch((e: unknown) => e)) as ZosError;
    expect(err.context.nodeMessage).toBe('failed to find a candidate to host vdisk of size 1');
    expect(err.message).toContain('is in state error: failed to find a candidate to host vdisk of size 1');
  });

  it('reports a refused shrink (unchanged) with the node text instead of waiting forever', async () => {
    const { co } = setup();
    await co.apply({ node: 1, group: 'g', op: disk('a', 2 * 1024 ** 3) });
    const err = (await co.apply({ node: 1, group: 'g', op: disk('a', 1024 ** 3) }).catch((e: unknown) => e)) as ZosError;
    expect(err.context.workloadState).toBe('unchanged');
    expect(err.context.nodeMessage).toBe('not safe to shrink a disk');
  });

  it('refuses to add a public IPv4 to a contract created without one, with the fix', async () => {
    const { co } = setup();
    await co.apply({ node: 1, group: 'g', op: disk('a') });
    const err = (await co.apply({ node: 1, group: 'g', op: { kind: 'upsert', workload: { name: 'ip', type: 'ip', data: { v4: true, v6: false } }, publicIps: 1 } }).catch((e: unknown) => e)) as ZosError;
    expect(err.message).toMatch(/cannot add public IPs to an existing node contract/);
    expect(err.context.fix).toMatch(/new deployment group/);
  });

  it('reserves public IPs when the contract is created together with the ip workload', async () => {
    const { grid, co } = setup();
    const [ip] = await Promise.all([
      co.apply({ node: 1, group: 'web', op: { kind: 'upsert', workload: { name: 'ip', type: 'ip', data: { v4: true, v6: false } }, publicIps: 1 } }),
      co.apply({ node: 1, group: 'web', op: disk('a') }),
    ]);
    expect(grid.contracts.get(ip.contractId)?.publicIps).toBe(1);
    expect(ip.workload?.result?.data).toMatchObject({ ip: '185.1.1.10/24' });
  });

  it('finds an existing group deployment from a fresh process (no cache) through the node', async () => {
    const { grid, co } = setup();
    const a = await co.apply({ node: 1, group: 'g', op: disk('a') });
    const fresh = createCoordinator(grid.deps(), { coalesceMs: 1, pollMs: 1 });
    const b = await fresh.apply({ node: 1, group: 'g', op: disk('b') });
    expect(b.contractId).toBe(a.contractId);
    expect(b.version).toBe(1);
  });

  it('read reports ok, gone and unreachable without throwing', async () => {
    const { grid, co } = setup();
    const a = await co.apply({ node: 2, group: 'g', op: disk('a') });
    expect((await co.read(2, 'g', a.contractId, 'a')).status).toBe('ok');
    expect((await co.read(2, 'g', a.contractId, 'zzz')).status).toBe('gone');
    grid.nodes.get(2)!.down = true;
    expect((await co.read(2, 'g', a.contractId, 'a')).status).toBe('unreachable');
    grid.nodes.get(2)!.down = false;
    grid.contracts.get(a.contractId)!.state = 'deleted';
    expect((await co.read(2, 'g', a.contractId, 'a')).status).toBe('gone');
  });

  it('wraps chain failures with the deployment group and node', async () => {
    const { grid, co } = setup([1]);
    grid.faults.set('submit', 'NodeNotExists');
    const err = (await co.apply({ node: 1, group: 'g', op: disk('a') }).catch((e: unknown) => e)) as ChainError;
    expect(err).toBeInstanceOf(ChainError);
    expect(err.message).toMatch(/deployment group "g": create node contract on node 1 failed: NodeNotExists/);
  });
});
