/**
 * Light nodes on the local grid (issue 15, `tfgrid local up --light-nodes <n>`): which nodes are light, their
 * config, what `status` says, and that `up` keeps the choice (a different count replaces the grid).
 */
import * as os from 'os';
import * as path from 'path';
import { parseNodeConfig } from '../../node/config';
import { lightNodeCount, replaceReason } from './grid';
import { nodeConfigFor } from './node-daemon';
import { gridStateSchema, type GridState, type NodeState } from './state';
import { describeGrid, formatStatus } from './status';
import { isLightNode } from './up-steps';

const GRID = path.join(os.tmpdir(), 'tfgrid-light-test-grid'); // never created: the records only name files there

function node(index: number, light?: boolean): NodeState {
  return {
    index,
    nodeId: index + 10,
    twinId: index + 20,
    farmId: 1,
    netns: '',
    uplink: '',
    address: '',
    domain: `node${index}.tfgrid.test`,
    publicIps: [],
    configFile: path.join(GRID, `node${index}`, 'config.json'),
    dataDir: path.join(GRID, `node${index}`, 'data'),
    seed: '11'.repeat(32),
    ...(light === undefined ? {} : { light }),
    // the test process stands in for a running node
    process: { name: `node${index}`, pid: process.pid, startTime: '', logFile: path.join(GRID, `node${index}.log`), command: ['node'] },
  };
}

function grid(nodes: NodeState[]): GridState {
  return {
    version: 1,
    prefix: 'gabc',
    dir: GRID,
    backend: 'sim',
    backendReason: 'sim',
    phase: 'running',
    startedAt: '2026-01-01T00:00:00.000Z',
    chain: { url: 'ws://127.0.0.1:8000', process: { name: 'chain', pid: process.pid, startTime: '', logFile: path.join(GRID, 'chain.log'), command: ['node'] } },
    internetNs: '',
    gatewayDomain: 'tfgrid.test',
    farms: [],
    nodes,
  };
}

describe('light nodes of the local grid', () => {
  it('makes the last n nodes light, so node1 (every example default) stays a full node', () => {
    const light = (nodes: number, lightNodes: number) => Array.from({ length: nodes }, (_, i) => i + 1).filter((i) => isLightNode(i, { nodes, lightNodes }));
    expect(light(3, 0)).toEqual([]);
    expect(light(3, 1)).toEqual([3]);
    expect(light(2, 2)).toEqual([1, 2]);
  });

  it('writes `light: true` into a light node config only; a full node config has none and parses as full', () => {
    const wiring = { backend: 'sim' as const, chainUrl: 'ws://c', relayUrl: 'ws://r', publicAddress: '198.18.0.12/16', prefix: 'gabc2', zdbPort: 9900 };
    expect(nodeConfigFor(node(2, true), wiring).light).toBe(true);
    expect(parseNodeConfig(nodeConfigFor(node(2, true), wiring), 'test').light).toBe(true);
    expect(nodeConfigFor(node(1), wiring)).not.toHaveProperty('light');
    expect(parseNodeConfig(nodeConfigFor(node(1), wiring), 'test').light).toBe(false);
  });

  it('status says which nodes are light, in JSON and in the table', () => {
    const st = describeGrid(grid([node(1), node(2, true)]));
    expect(st.nodes.map((n) => [n.index, n.light])).toEqual([
      [1, false],
      [2, true],
    ]);
    const lines = formatStatus(st).split('\n');
    expect(lines.find((l) => l.includes('(node2'))).toContain('node 12  (node2, light)');
    expect(lines.find((l) => l.includes('(node1'))).toContain('node 11  (node1)  twin');
  });

  it('keeps the choice across `up`: the same count heals in place, another count replaces the grid', () => {
    const g = grid([node(1), node(2), node(3, true)]);
    expect(lightNodeCount(g)).toBe(1);
    expect(replaceReason(g, 3)).toBeUndefined();
    expect(replaceReason(g, 3, 1)).toBeUndefined();
    expect(replaceReason(g, 3, 0)).toBe('the grid runs 1 light nodes and 0 were asked');
    expect(replaceReason(g, 3, 2)).toBe('the grid runs 1 light nodes and 2 were asked');
  });

  it('reads a state written before light nodes existed: every node full', () => {
    const { light: _, ...old } = node(1);
    const parsed = gridStateSchema.parse({ ...grid([]), nodes: [old] });
    expect(parsed.nodes[0].light).toBeUndefined();
    expect(lightNodeCount(parsed)).toBe(0);
    expect(gridStateSchema.parse(grid([node(1, true)])).nodes[0].light).toBe(true);
  });
});
