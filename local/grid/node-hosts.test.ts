/**
 * Which process each local-grid node runs in (issue 16): linux nodes alone, sim nodes in a few shared hosts,
 * and the nodes a restart of one node brings back with it.
 */
import { hostSiblings, nodeGroups } from './node-hosts';
import type { GridState, NodeState } from './state';
import type { ProcessRecord } from './supervisor';

const idx = (groups: number[][]) => groups.map((g) => g.length);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('nodeGroups', () => {
  it('linux: one process per node, whatever the count', () => {
    expect(nodeGroups(range(50), 'linux')).toEqual(range(50).map((i) => [i]));
  });

  it('sim up to 4 nodes: still one process per node (killing one kills only it)', () => {
    expect(nodeGroups(range(2), 'sim')).toEqual([[1], [2]]);
    expect(nodeGroups(range(4), 'sim')).toEqual([[1], [2], [3], [4]]);
  });

  it('sim beyond: 4 hosts of contiguous nodes, sizes within one of each other, every node once', () => {
    const g50 = nodeGroups(range(50), 'sim');
    expect(idx(g50)).toEqual([13, 13, 12, 12]);
    expect(g50.flat()).toEqual(range(50));
    expect(idx(nodeGroups(range(10), 'sim'))).toEqual([3, 3, 2, 2]);
    expect(idx(nodeGroups(range(5), 'sim', 2))).toEqual([3, 2]);
  });
});

describe('hostSiblings', () => {
  const rec = (pid: number, host?: string): ProcessRecord => ({ name: 'x', pid, startTime: '7', logFile: '/l', command: [], ...(host ? { hostLogFile: host } : {}) });
  const node = (index: number, process?: ProcessRecord): NodeState => ({
    index,
    nodeId: index,
    twinId: index,
    farmId: 1,
    netns: '',
    uplink: '',
    address: '',
    domain: '',
    publicIps: [],
    configFile: `/c${index}`,
    dataDir: `/d${index}`,
    seed: '00'.repeat(32),
    process,
  });

  it('a hosted node comes back with every node of its process, and only those', () => {
    const nodes = [node(1, rec(100, '/h1')), node(2, rec(100, '/h1')), node(3, rec(200, '/h2')), node(4, { ...rec(100, '/h1'), startTime: '9' })];
    const state = { nodes } as GridState;
    expect(hostSiblings(state, nodes[0]).map((n) => n.index)).toEqual([1, 2]);
    expect(hostSiblings(state, nodes[2]).map((n) => n.index)).toEqual([3]);
  });

  it('a node with a process of its own comes back alone', () => {
    const nodes = [node(1, rec(100)), node(2, rec(100))];
    expect(hostSiblings({ nodes } as GridState, nodes[0]).map((n) => n.index)).toEqual([1]);
  });
});
