/** The node's update planner (zos-protocol.md §3.4–§3.6): every rule, with the node's strings. */
import { planUpgrade, type Deployment, type UpgradePlan } from './index';
import { zmount } from './types';
import { makeDeployment, NET1, vmData, type RawWorkload } from '../../test/fixtures/zos/deployments';

const disk = (name: string, size: number, version = 0): RawWorkload => ({ name, type: 'zmount', data: { size }, version });
const db = (name: string, data: Record<string, unknown>, version = 0): RawWorkload => ({ name, type: 'zdb', data: { size: 10, mode: 'user', ...data }, version });
const vm = (name: string, version = 0, mounts: { name: string; mountpoint: string }[] = []): RawWorkload => ({ name, type: 'zmachine', data: vmData({ mounts }), version });
const net = (version = 0): RawWorkload => ({ ...NET1, version });

const v = (version: number, workloads: RawWorkload[], over: Record<string, unknown> = {}): Deployment => makeDeployment(workloads, { version, ...over });
const ops = (plan: UpgradePlan) => {
  if (!plan.ok) throw new Error(plan.error);
  return plan.ops.map((o) => `${o.op}:${o.workload.name}`);
};
const refusal = (plan: UpgradePlan) => {
  if (plan.ok) throw new Error('expected a refusal');
  return plan;
};

describe('planUpgrade refusals', () => {
  it.each<[string, Deployment, Deployment, string]>([
    ['the new deployment is invalid', v(0, [disk('a', 1)]), v(1, [disk('a', 0, 1)]), 'new deployment is invalid: invalid size'],
    ['the twin changes', v(0, [disk('a', 1)]), v(1, [disk('a', 1)], { twin_id: 8 }), 'cannot change deployment or twin id'],
    ['the contract changes', v(0, [disk('a', 1)]), v(1, [disk('a', 1)], { contract_id: 5 }), 'cannot change deployment or twin id'],
    ['the version is not current + 1', v(0, [disk('a', 1)]), v(2, [disk('a', 1)]), 'expecting deployment version 1, got 2'],
    ['the version is unchanged', v(3, [disk('a', 1)]), v(3, [disk('a', 1)]), 'expecting deployment version 4, got 3'],
    ['an added workload has an old version', v(0, [disk('a', 1)]), v(1, [disk('a', 1), disk('b', 1, 0)]), "invalid version number for workload 'b' expected '1'"],
    ['a workload changes type', v(0, [disk('a', 1)]), v(1, [{ name: 'a', type: 'volume', data: { size: 1 }, version: 1 }]), "cannot change workload type 'a'"],
    ['a zmachine is bumped', v(0, [net(), vm('vm')]), v(1, [net(), vm('vm', 1)]), "workload 'zmachine' does not support upgrade"],
    ['an ip is bumped', v(0, [{ name: 'p', type: 'ip', data: { v4: true } }]), v(1, [{ name: 'p', type: 'ip', data: { v4: true, v6: true }, version: 1 }]), "workload 'ip' does not support upgrade"],
    [
      'a gateway is bumped',
      v(0, [{ name: 'g', type: 'gateway-fqdn-proxy', data: { fqdn: 'a.bc', tls_passthrough: true, backends: ['1.2.3.4:1'] } }]),
      v(1, [{ name: 'g', type: 'gateway-fqdn-proxy', data: { fqdn: 'a.bc', tls_passthrough: true, backends: ['1.2.3.4:2'] }, version: 1 }]),
      "workload 'gateway-fqdn-proxy' does not support upgrade",
    ],
  ])('refuses when %s', (_rule, current, next, cause) => {
    const r = refusal(planUpgrade(current, next));
    expect(r.error).toBe(cause);
    expect(r.nodeMessage).toBe(`${cause}: upgrade validation error`);
  });
});

describe('planUpgrade classification and order', () => {
  it('adds a workload at the new version', () => {
    expect(ops(planUpgrade(v(0, [disk('a', 1)]), v(1, [disk('a', 1), disk('b', 1, 1)])))).toEqual(['add:b', 'untouched:a']);
  });

  it('updates a bumped workload and leaves the others untouched', () => {
    expect(ops(planUpgrade(v(1, [disk('a', 1), disk('b', 1, 1)]), v(2, [disk('a', 2, 2), disk('b', 1, 1)])))).toEqual(['update:a', 'untouched:b']);
  });

  it('removes workloads missing from the new deployment', () => {
    expect(ops(planUpgrade(v(0, [disk('a', 1), disk('b', 1)]), v(1, [disk('a', 1)])))).toEqual(['remove:b', 'untouched:a']);
  });

  it('ignores a data change on a workload whose version was not bumped (untouched)', () => {
    expect(ops(planUpgrade(v(0, [disk('a', 1)]), v(1, [disk('a', 99, 0)])))).toEqual(['untouched:a']);
  });

  it('runs removes first in reverse type order, then adds and updates in type order', () => {
    const current = v(0, [net(), disk('d1', 1), vm('vm', 0, [{ name: 'd1', mountpoint: '/d' }]), db('z', {})]);
    const next = v(1, [net(), { ...vm('vm2', 1), name: 'vm2' }, disk('d2', 5, 1), db('z', { size: 20 }, 1)]);
    // removes: zmachine (index 9) before zmount (index 1); then zmount add (1), zdb update (8), zmachine add (9).
    expect(ops(planUpgrade(current, next))).toEqual(['remove:vm', 'remove:d1', 'add:d2', 'update:z', 'add:vm2', 'untouched:net1']);
  });

  it('carries the stored result over to updated and untouched workloads', () => {
    const current = v(0, [disk('a', 1), disk('b', 1)]);
    current.workloads[0].result = { created: 10, state: 'ok', message: '', data: { volume_id: '7-1234-a' } };
    current.workloads[1].result = { created: 11, state: 'ok', message: '', data: { volume_id: '7-1234-b' } };
    const plan = planUpgrade(current, v(1, [disk('a', 2, 1), disk('b', 1)]));
    if (!plan.ok) throw new Error(plan.error);
    expect(plan.ops.map((o) => o.workload.result.created)).toEqual([10, 11]);
    expect(plan.ops[0].previous?.data).toEqual({ size: 1n });
  });

  it('accepts a zmachine that is removed in one update and re-added under a new name', () => {
    expect(ops(planUpgrade(v(0, [net(), vm('vm')]), v(1, [net(), vm('vm_b', 1)])))).toEqual(['remove:vm', 'add:vm_b', 'untouched:net1']);
  });
});

describe('update predictions (§3.5)', () => {
  const predict = (current: Deployment, next: Deployment) => {
    const plan = planUpgrade(current, next);
    if (!plan.ok) throw new Error(plan.error);
    return plan.ops.filter((o) => o.op === 'update').map((o) => o.prediction);
  };
  it.each<[string, Deployment, Deployment, unknown]>([
    ['zmount same size is a no-op', v(0, [disk('a', 5)]), v(1, [disk('a', 5, 1)]), { outcome: 'noop' }],
    ['zmount shrink stays unchanged', v(0, [disk('a', 5)]), v(1, [disk('a', 4, 1)]), { outcome: 'unchanged', message: 'not safe to shrink a disk' }],
    ['zmount grow is applied', v(0, [disk('a', 5)]), v(1, [disk('a', 6, 1)]), { outcome: 'apply' }],
    ['zdb mode change stays unchanged', v(0, [db('z', {})]), v(1, [db('z', { mode: 'seq' }, 1)]), { outcome: 'unchanged', message: 'cannot change namespace mode' }],
    ['zdb shrink stays unchanged', v(0, [db('z', {})]), v(1, [db('z', { size: 5 }, 1)]), { outcome: 'unchanged', message: 'cannot shrink zdb namespace' }],
    ['zdb same data is a no-op', v(0, [db('z', {})]), v(1, [db('z', {}, 1)]), { outcome: 'noop' }],
    ['zdb password change is applied', v(0, [db('z', {})]), v(1, [db('z', { password: 'n' }, 1)]), { outcome: 'apply' }],
    ['network is upserted', v(0, [net()]), v(1, [net(1)]), { outcome: 'apply' }],
  ])('%s', (_rule, current, next, expected) => {
    expect(predict(current, next)).toEqual([expected]);
  });

  it('refuses to grow a zmount mounted by a running zmachine and keeps it running', () => {
    const current = v(0, [net(), disk('d', 5), vm('vm', 0, [{ name: 'd', mountpoint: '/d' }])]);
    current.workloads[2].result = { created: 1, state: 'ok', message: '', data: null };
    const next = v(1, [net(), disk('d', 6, 1), vm('vm', 0, [{ name: 'd', mountpoint: '/d' }])]);
    expect(predict(current, next)).toEqual([{ outcome: 'unchanged', message: 'disk is mounted, please delete the VM first' }]);
    // The same disk under a VM that is not running may grow.
    current.workloads[2].result = { created: 1, state: 'error', message: 'x', data: null };
    expect(predict(current, next)).toEqual([{ outcome: 'apply' }]);
  });

  it('refuses to grow a zmount a running zmachine-light mounts, as the node does (one rule: machinesMounting)', () => {
    const light = { name: 'vm', type: 'zmachine-light', data: { mounts: [{ name: 'd', mountpoint: '/d' }] } };
    const grow = (state: string) => (zmount.update.supported ? zmount.update.predict({ size: 5n }, { size: 6n }, { name: 'd', current: [{ ...light, state }] }) : undefined);
    expect(grow('ok')).toEqual({ outcome: 'unchanged', message: 'disk is mounted, please delete the VM first' });
    expect(grow('paused')).toEqual({ outcome: 'unchanged', message: 'disk is mounted, please delete the VM first' });
    expect(grow('error')).toEqual({ outcome: 'apply' });
  });
});
