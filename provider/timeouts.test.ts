import { durationMs, formatDuration, timeoutMsFor, timeoutSource } from './timeouts';
import { diffWorkload } from './workload-resource';
import { zmachineKind } from './resources/zmachine';
import { withCheckedInputs } from './checked-inputs';

describe('per-resource timeouts', () => {
  it('reads seconds and durations with a unit, and refuses the rest', () => {
    expect(durationMs(300)).toBe(300_000);
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('10m')).toBe(600_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('1500ms')).toBe(1500);
    expect(durationMs('45')).toBe(45_000);
    for (const bad of ['ten minutes', '10 days', '', 0, -5, '0s', null]) expect(durationMs(bad)).toBeUndefined();
  });

  it("takes the operation's own limit, then one for all, then tfgrid:deployTimeout", () => {
    expect(timeoutMsFor({ create: '20m' }, 'create', 300)).toBe(1_200_000);
    expect(timeoutMsFor({ create: '20m' }, 'delete', 300)).toBe(300_000);
    expect(timeoutMsFor('2m', 'update', 300)).toBe(120_000);
    expect(timeoutMsFor(undefined, 'create', 300)).toBe(300_000);
    expect(timeoutSource({ create: '20m' }, 'create')).toBe('timeout.create');
    expect(timeoutSource({ create: '20m' }, 'delete')).toBe('tfgrid:deployTimeout');
    expect(timeoutSource('2m', 'delete')).toBe('timeout');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_200_000)).toBe('20m');
  });

  it('a changed timeout updates the state and never replaces a machine', () => {
    const inputs = { node: 1, deployment: 'd', name: 'vm', flist: 'https://hub/x.flist', network: { name: 'net', nodes: [1] }, cpu: 1, memory: '1GiB' };
    const olds = withCheckedInputs({ ...inputs, privateIp: '10.20.1.2' }, inputs);
    const d = diffWorkload(zmachineKind, olds, { ...inputs, timeout: { create: '20m' } });
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // and any other change of a machine still replaces it
    expect(diffWorkload(zmachineKind, olds, { ...inputs, cpu: 2 }).replaces).toEqual(['cpu']);
  });
});
