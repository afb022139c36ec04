/** Backend choice (sim only when it must, said loudly; never silently in place of linux) and grid names. */
import { chooseBackend, gridPrefixes, newGridPrefix, nodeDomain, nodePrefix, stopWaves } from './grid';
import type { GridState, NodeState } from './state';
import type { ProcessRecord } from './supervisor';

describe('chooseBackend', () => {
  const linuxRoot = { isRoot: true, platform: 'linux', missing: [] as string[] };
  it.each([
    ['auto', linuxRoot, 'linux', /root on Linux/],
    ['auto', { ...linuxRoot, isRoot: false }, 'sim', /^SIM BACKEND: not running as root/],
    ['auto', { ...linuxRoot, missing: ['runc'] }, 'sim', /^SIM BACKEND: missing tools: runc/],
    ['auto', { ...linuxRoot, platform: 'darwin' }, 'sim', /platform is darwin/],
    ['sim', linuxRoot, 'sim', /sim backend requested/],
    ['linux', linuxRoot, 'linux', /root on Linux/],
  ] as const)('%s with %j → %s', (requested, env, backend, reason) => {
    const r = chooseBackend(requested, { ...env, missing: [...env.missing] });
    expect(r.backend).toBe(backend);
    expect(r.reason).toMatch(reason);
  });

  it('fails in CI rather than falling back to sim when a linux tool is missing', () => {
    expect(() => chooseBackend('auto', { isRoot: true, platform: 'linux', missing: ['wireguard-go'], ci: true })).toThrow(
      'in CI the local grid needs root on Linux with ip, runc, wireguard-go, wg, losetup, mkfs.ext4: missing tools: wireguard-go',
    );
    expect(chooseBackend('sim', { isRoot: false, platform: 'linux', missing: [], ci: true }).backend).toBe('sim');
  });

  it('refuses --backend linux without root instead of falling back to sim', () => {
    expect(() => chooseBackend('linux', { isRoot: false, platform: 'linux', missing: [] })).toThrow('--backend linux needs root on Linux');
  });
});

describe('grid names', () => {
  it('gives every grid a 4-character prefix and every node a backend prefix within the 6 allowed', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = newGridPrefix();
      expect(p).toMatch(/^g[a-z0-9]{3}$/);
      seen.add(p);
    }
    expect(seen.size).toBeGreaterThan(40);
    expect(nodePrefix('g7xq', 1)).toBe('g7xq1');
    expect(nodePrefix('g7xq', 35)).toBe('g7xqz');
    expect(nodePrefix('g7xq', 200)).toMatch(/^[a-z][a-z0-9]{0,5}$/);
    expect(gridPrefixes({ prefix: 'g7xq' })).toEqual(['g7xq']);
    expect(nodeDomain(2, 'tfgrid.test')).toBe('node2.tfgrid.test');
  });
});

describe('stopWaves', () => {
  const proc = (name: string, pid: number): ProcessRecord => ({ name, pid, startTime: '1', logFile: `/tmp/${name}.log`, command: [] });
  const node = (index: number, process?: ProcessRecord) => ({ index, process }) as NodeState;
  const state = (patch: Partial<GridState>) => ({ nodes: [], ...patch }) as GridState;

  it('stops the watchdog and the nodes together, then relay, hub and DNS together, then the chain', () => {
    const waves = stopWaves(
      state({
        chain: { url: 'ws://c', process: proc('chain', 10) },
        relay: { url: 'ws://r', process: proc('relay', 11) },
        hub: { url: 'http://h', process: proc('hub', 12) },
        dns: { url: 'dns://d', address: '127.0.0.1', port: 53, process: proc('dns', 13) },
        nodes: [node(1, proc('node1', 21)), node(2, proc('node2', 22))],
        watchdog: proc('watchdog', 30),
      }),
    );
    expect(waves.map((w) => w.map((p) => p.name))).toEqual([['watchdog', 'node2', 'node1'], ['dns', 'hub', 'relay'], ['chain']]);
  });

  it('leaves out what never started (a failed up) and empty waves', () => {
    const waves = stopWaves(state({ chain: { url: 'ws://c', process: proc('chain', 10) }, nodes: [node(1), node(2, proc('node2', 22))] }));
    expect(waves.map((w) => w.map((p) => p.pid))).toEqual([[22], [10]]);
    expect(stopWaves(state({}))).toEqual([]);
  });
});
