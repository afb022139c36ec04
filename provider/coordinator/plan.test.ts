/**
 * The coordinator's planner without a grid: which workloads carry the new version, what waits for the next flush,
 * which requests are refused before any chain transaction, and which contract operations go to the chain.
 * The end-to-end behaviour (node, chain, waits) is in test/provider/coordinator.test.ts.
 */
import { InputError, ZosError } from '../../protocol/common/errors';
import type { WorkloadJson } from '../deps';
import type { Execution } from './execution';
import { orphanContractId, planDeployment, type DeploymentState, type Pending, type PlanInput } from './plan';
import type { ApplyRequest, WorkloadOp } from './types';
import { removalFailed } from './wait';

const GIB = 1024 ** 3;
const NODE = 11;
const GROUP = 'g';
const disk = (name: string, size = GIB): WorkloadOp => ({ kind: 'upsert', workload: { name, type: 'zmount', data: { size } } });
const vm = (name: string, mounts: string[] = []): WorkloadOp => ({
  kind: 'upsert',
  workload: { name, type: 'zmachine', data: { flist: 'f', mounts: mounts.map((m) => ({ name: m, mountpoint: `/${m}` })) } },
});
const pip = (name: string): WorkloadOp => ({ kind: 'upsert', workload: { name, type: 'ip', data: { v4: true, v6: false } }, publicIps: 1 });
const remove = (name: string): WorkloadOp => ({ kind: 'remove', name });
const request = (op: WorkloadOp, more: Partial<ApplyRequest> = {}): Pending => ({ req: { node: NODE, group: GROUP, op, ...more }, resolve: () => undefined, reject: () => undefined, attempts: 0 });
/** A workload as the node holds it at `version`, `ok` unless told. */
const held = (op: WorkloadOp, version: number, state = 'ok'): WorkloadJson => {
  if (op.kind !== 'upsert') throw new Error('held takes an upsert');
  const { name, type, data } = op.workload;
  return { version, name, type, data, metadata: '', description: '', result: { state, created: 1, message: '' } };
};
const deployment = (version: number, workloads: WorkloadJson[], publicIps = 0): DeploymentState => ({ contractId: 42, version, workloads, publicIps });
const plan = (before: DeploymentState | undefined, pending: Pending[], more: Partial<PlanInput> = {}) =>
  planDeployment({ twinId: 7, node: NODE, group: GROUP, before, pending, hash: (d) => `hash-v${d.version}-${d.workloads.length}`, ...more });

describe('coordinator planner', () => {
  it('creates a group at version 0 with one node contract that reserves the public IPs asked for', () => {
    const p = plan(undefined, [request(disk('d')), request(pip('ip'))]);
    expect(p.action).toBe('create');
    expect(p.next?.version).toBe(0);
    expect(p.next?.workloads.map((w) => [w.name, w.version])).toEqual([
      ['d', 0],
      ['ip', 0],
    ]);
    expect(p.chainOps).toEqual([{ kind: 'createNode', nodeId: NODE, hash: 'hash-v0-2', data: expect.stringContaining('"name":"g"'), publicIps: 1 }]);
    expect(p.publicIps).toBe(1);
  });

  it('bumps the version only on the workloads whose data changed', () => {
    const before = deployment(2, [held(disk('a'), 1), held(disk('b'), 2), held(disk('c'), 0)]);
    const p = plan(before, [request(disk('a')), request(disk('b', 2 * GIB))]);
    expect(p.action).toBe('update');
    expect(p.next?.version).toBe(3);
    expect(Object.fromEntries(p.next!.workloads.map((w) => [w.name, w.version]))).toEqual({ a: 1, b: 3, c: 0 });
    expect([...p.touched]).toEqual([['b', 3]]);
    expect(p.chainOps).toEqual([{ kind: 'updateNode', contractId: 42, hash: 'hash-v3-3', data: expect.any(String) }]);
  });

  it('plans nothing when every upsert matches what the node has (key order does not matter)', () => {
    const before = deployment(1, [{ ...held(disk('a'), 1), data: { size: GIB, extra: { y: 1, x: 2 } } }]);
    const p = plan(before, [request({ kind: 'upsert', workload: { name: 'a', type: 'zmount', data: { extra: { x: 2, y: 1 }, size: GIB } } })]);
    expect(p.action).toBe('none');
    expect(p.chainOps).toEqual([]);
    expect(p.next).toBeUndefined();
  });

  it('defers the add of a workload the same flush removes to the next flush, and waits for the removal', () => {
    const before = deployment(1, [held(vm('m'), 0), held(disk('d'), 0)]);
    const removal = request(remove('m'));
    const again = request(vm('m'), { create: true });
    const p = plan(before, [removal, again]);
    expect(p.deferred).toEqual([again]);
    expect(p.pending).toEqual([removal]);
    expect([...p.removed]).toEqual(['m']);
    expect(p.touched.size).toBe(0);
    expect(p.action).toBe('update');
    expect(p.next?.workloads.map((w) => w.name)).toEqual(['d']);
    expect(p.refused).toEqual([]);
  });

  it('cancels the contract when the last workload is removed', () => {
    const p = plan(deployment(3, [held(disk('d'), 0)]), [request(remove('d'))]);
    expect(p.action).toBe('cancel');
    expect(p.chainOps).toEqual([{ kind: 'cancel', contractId: 42 }]);
  });

  it('refuses an update that needs more public IPv4 than the contract reserved at creation', () => {
    const before = deployment(1, [held(disk('d'), 0)], 0);
    const a = request(pip('ip'));
    const b = request(disk('e'));
    const p = plan(before, [a, b]);
    expect(p.action).toBe('none');
    expect(p.chainOps).toEqual([]);
    expect(p.pending).toEqual([]);
    expect(p.refused.map((r) => r.item)).toEqual([a, b]);
    expect(p.refused[0].error).toBeInstanceOf(ZosError);
    expect(p.refused[0].error.message).toMatch(/reserved 0 public IPv4 at creation and needs 1: TFChain cannot add public IPs to an existing node contract/);
    // the IPs reserved at creation are enough: the update goes through
    expect(plan(deployment(1, [held(disk('d'), 0)], 1), [request(pip('ip'))]).action).toBe('update');
  });

  it('refuses two creates of one workload name, and a create whose name the deployment holds', () => {
    const a = request(disk('x'), { create: true, label: 'ZMount "a"' });
    const b = request(disk('x'), { create: true, label: 'ZMount "b"' });
    const p = plan(undefined, [a, b, request(disk('y'))]);
    expect(p.refused.map((r) => r.item)).toEqual([a, b]);
    expect(p.refused[0].error).toBeInstanceOf(InputError);
    expect(p.refused[0].error.message).toMatch(/ZMount "a" and ZMount "b" both ask for workload name "x"/);
    expect(p.next?.workloads.map((w) => w.name)).toEqual(['y']);

    const taken = request(disk('d'), { create: true, label: 'ZMount "new"' });
    const q = plan(deployment(1, [held(disk('d'), 0)]), [taken]);
    expect(q.refused.map((r) => r.error.message)).toEqual([expect.stringMatching(/^ZMount "new": deployment group "g" on node 11 already has a zmount named "d" \(contract 42\)/)]);
    expect(q.action).toBe('none');
    // a create of a name the same flush removes is not a duplicate (it is deferred)
    expect(plan(deployment(1, [held(disk('d'), 0), held(disk('e'), 0)]), [request(remove('d')), taken]).refused).toEqual([]);
  });

  it("refuses an upsert that would change a workload's type", () => {
    const item = request({ kind: 'upsert', workload: { name: 'd', type: 'zdb', data: {} } }, { label: 'ZDB "d"' });
    const p = plan(deployment(1, [held(disk('d'), 0)]), [item]);
    expect(p.refused.map((r) => r.error.message)).toEqual(['ZDB "d": node 11 deployment 42 already has a zmount named "d"']);
    expect(p.action).toBe('none');
  });

  it('refuses to grow a disk a running machine mounts, and keeps the other changes', () => {
    const before = deployment(1, [held(disk('d'), 0), held(vm('m', ['d']), 0), held(disk('e'), 0)]);
    const grow = request(disk('d', 2 * GIB));
    const p = plan(before, [grow, request(disk('e', 2 * GIB))]);
    expect(p.refused.map((r) => r.item)).toEqual([grow]);
    expect(p.refused[0].error.message).toMatch(/cannot grow the disk while ZMachine "m" mounts it \(ZOS: disk is mounted, please delete the VM first\)/);
    expect([...p.touched.keys()]).toEqual(['e']);
    expect(p.next?.workloads.find((w) => w.name === 'd')?.data).toEqual({ size: GIB });
    // the machine is not running (error): ZOS grows the disk
    const stopped = deployment(1, [held(disk('d'), 0), held(vm('m', ['d']), 0, 'error')]);
    expect(plan(stopped, [request(disk('d', 2 * GIB))]).refused).toEqual([]);
  });

  it('cancels a contract whose deployment never reached the node, with the name contracts its removes carry', () => {
    const item = request(remove('gw'), { contractId: 9, extraChainOps: [{ kind: 'cancel', contractId: 10 }] });
    expect(orphanContractId(undefined, [item])).toBe(9);
    expect(orphanContractId(deployment(1, []), [item])).toBeUndefined();
    expect(orphanContractId(undefined, [item, request(disk('d'), { contractId: 9 })])).toBeUndefined();
    const p = plan(undefined, [item], { orphan: { contractId: 9, publicIps: 0 } });
    expect(p.action).toBe('cancel');
    expect(p.chainOps).toEqual([{ kind: 'cancel', contractId: 9 }]);
    expect(p.extraOps).toEqual([{ op: { kind: 'cancel', contractId: 10 }, owner: item }]);
    // not on the chain any more (no orphan): nothing to do
    expect(plan(undefined, [item]).action).toBe('none');
  });

  it("puts a removal's name-contract cancel in the same transaction, so the gateway's refusal on the way out is no failure", () => {
    const gw: WorkloadOp = { kind: 'upsert', workload: { name: 'gw', type: 'gateway-name-proxy', data: { name: 'web' } } };
    const before = deployment(1, [held(gw, 0), held(disk('d'), 0)]);
    const item = request(remove('gw'), { extraChainOps: [{ kind: 'cancel', contractId: 10 }] });
    const p = plan(before, [item]);
    expect(p.action).toBe('update');
    expect(p.extraOps).toEqual([{ op: { kind: 'cancel', contractId: 10 }, owner: item }]);
    const refusal = { ...held(gw, 0), result: { state: 'error', created: 2, message: 'failed to verify name contract: name contract not found' } };
    const running = { ...p, api: undefined as never } as Execution;
    expect(removalFailed(running, refusal)).toBe(false);
    // without the cancel in the transaction, the same text is a failed removal
    const alone = { ...plan(before, [request(remove('gw'))]), api: undefined as never } as Execution;
    expect(removalFailed(alone, refusal)).toBe(true);
    // an error the workload already had before this version is not a new failure
    const old = { ...held(gw, 0), result: { state: 'error', created: 1, message: 'x' } };
    const stuck = { ...plan(deployment(1, [old, held(disk('d'), 0)]), [request(remove('gw'))]), api: undefined as never } as Execution;
    expect(removalFailed(stuck, old)).toBe(false);
  });
});
