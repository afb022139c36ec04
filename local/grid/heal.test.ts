/** Healing a local grid (issue 19): what is dead, what deploy says about it, hand-started nodes, stacks kept aside. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { daemonStatuses, findHandStartedNode, gridNotServing, keepStacksAside } from './heal';
import { describeGrid, formatStatus } from './status';
import type { GridState, NodeState } from './state';
import type { ProcessRecord } from './supervisor';

const DEAD_PID = 4_194_000; // above any pid_max default in use here: never a live process
const GRID = path.join(os.tmpdir(), 'tfgrid-heal-test-grid'); // never created: the records only name files there
const live = (name: string, restarts?: number): ProcessRecord => ({ name, pid: process.pid, startTime: '', logFile: path.join(GRID, `${name}.log`), command: ['node'], restarts });
const dead = (name: string): ProcessRecord => ({ name, pid: DEAD_PID, startTime: '1', logFile: path.join(GRID, `${name}.log`), command: ['node'] });

function node(index: number, p: ProcessRecord): NodeState {
  return {
    index,
    nodeId: index,
    twinId: index + 1,
    farmId: 1,
    netns: '',
    uplink: '',
    address: '',
    domain: `node${index}.tfgrid.test`,
    publicIps: [],
    configFile: path.join(GRID, 'nodes', `node${index}`, 'config.json'),
    dataDir: path.join(GRID, 'nodes', `node${index}`, 'data'),
    seed: '00'.repeat(32),
    process: p,
  };
}

function grid(over: Partial<GridState> = {}): GridState {
  return {
    version: 1,
    prefix: 'gabc',
    dir: GRID,
    backend: 'sim',
    backendReason: 'sim',
    phase: 'running',
    startedAt: '2026-01-01T00:00:00.000Z',
    chain: { url: 'ws://127.0.0.1:8000', process: live('chain') },
    relay: { url: 'ws://127.0.0.1:8080', process: live('relay') },
    hub: { url: 'http://127.0.0.1:8090', process: live('hub') },
    dns: { url: 'dns://127.0.0.1:5353', address: '127.0.0.1', port: 5353, process: live('dns') },
    internetNs: '',
    gatewayDomain: 'tfgrid.test',
    farms: [],
    nodes: [node(1, dead('node1')), node(2, live('node2', 2))],
    ...over,
  };
}

describe('daemon statuses', () => {
  it('lists every daemon running or dead with its restarts, in JSON and in the table', () => {
    expect(daemonStatuses(grid()).map((d) => `${d.name}:${d.state}:${d.restarts}`)).toEqual([
      'chain:running:0',
      'relay:running:0',
      'hub:running:0',
      'dns:running:0',
      'node1:dead:0',
      'node2:running:2',
    ]);
    const st = describeGrid(grid());
    expect(st.running).toBe(false);
    expect(st.nodes.map((n) => n.restarts)).toEqual([0, 2]);
    const text = formatStatus(st);
    expect(text).toContain('DEGRADED');
    expect(text).toMatch(/DEAD {4}node 1 {2}\(node1\)/);
    expect(text).toMatch(/running node 2 {2}\(node2\).*\(restarted 2×\)/);
    expect(text).toContain('dead: node1: `tfgrid local up` starts only these again');
  });
});

describe('what deploy says on a grid that does not serve', () => {
  it('names the dead node and the commands that fix it, never "not running"', () => {
    const err = gridNotServing(grid(), '/g');
    expect(err?.message).toBe(`local grid daemon dead: node1 (pid ${DEAD_PID}); the chain and the stacks are intact`);
    expect(err?.context.fix).toContain('`tfgrid local up --dir /g` (starts only the dead daemons again) or `tfgrid local restart node1 --dir /g`');
  });

  it('says a dead chain took the contracts with it and that up keeps the stacks aside', () => {
    const err = gridNotServing(grid({ chain: { url: 'ws://127.0.0.1:8000', process: dead('chain') } }), undefined);
    expect(err?.message).toContain("the local grid's chain is dead (dead: chain");
    expect(err?.context.fix).toContain('keeps the old stacks');
  });

  it('is silent on a healthy grid and says "not running" only without a grid', () => {
    expect(gridNotServing(grid({ nodes: [node(1, live('node1'))] }), undefined)).toBeUndefined();
    expect(gridNotServing(undefined, undefined)?.message).toBe('the local grid is not running');
  });
});

describe('a node started again by hand', () => {
  it('is found by its own config file among the processes, and nothing else is', () => {
    const n = node(1, dead('node1'));
    const cmdlines = new Map<number, string[]>([
      [process.ppid, ['node', 'bin/tfgrid', 'node', 'run', '--config', n.configFile]],
      [DEAD_PID, ['node', 'x', n.configFile]],
    ]);
    expect(findHandStartedNode(n, cmdlines)).toMatchObject({ name: 'node1', pid: process.ppid, adopted: true });
    expect(findHandStartedNode(n, new Map([[process.ppid, ['node', 'node-main', path.join(GRID, 'nodes', 'node2', 'config.json')]]]))).toBeUndefined();
  });
});

describe('stacks of a replaced grid', () => {
  it('are moved to <dir>/kept/<date>/, never deleted; nothing to keep gives undefined', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-keep-'));
    try {
      expect(keepStacksAside(dir)).toBeUndefined();
      fs.mkdirSync(path.join(dir, 'stacks'));
      fs.writeFileSync(path.join(dir, 'stacks', 'web.dev.json'), '{}');
      fs.mkdirSync(path.join(dir, 'pulumi-state', '.pulumi'), { recursive: true });
      const kept = keepStacksAside(dir, new Date('2026-03-04T05:06:07.089Z'));
      expect(kept).toBe(path.join(dir, 'kept', '2026-03-04T05-06-07-089Z'));
      expect(fs.readFileSync(path.join(kept ?? '', 'stacks', 'web.dev.json'), 'utf8')).toBe('{}');
      expect(fs.existsSync(path.join(kept ?? '', 'pulumi-state', '.pulumi'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'stacks'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
