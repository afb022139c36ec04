/**
 * Issue 8 "Done when", through a Pulumi example on the shared local grid with the linux backends (machine.md
 * runc, network.md WireGuard, storage.md zmount): `examples/backends-proof` puts a container on nodes 1 and 2
 * of one private network, a disk on node 1 used by a machine that is then replaced, and a container that
 * allocates more than its memory limit. Checks run inside the machines (`runc exec` with each node's runc root),
 * never through 127.0.0.1.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nodePrefix } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { CGROUP_ROOT, machineNames } from '../../node/backends/machine/linux';
import { describeWithTools } from '../helpers/require-tools';
import { ensureE2eGrid, runE2eExample } from './shared-grid';
import { gridMachine } from '../helpers/grid-machine';

jest.setTimeout(300_000);

const EXAMPLE = 'backends-proof';
// Pinned (the example picks two nodes through the grid proxy otherwise): the checks look at nodes 1 and 2.
const NODES = { nodes: '[1,2]' };

/** `ip route get` inside a namespace; '' when that namespace has no route to the address. */
function routeGet(ns: string, ip: string): string {
  try {
    return execFileSync('ip', ['-n', ns, 'route', 'get', ip], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** runc's view of one machine of grid node `index` (1-based), plus its memory cgroup. */
function machineOn(grid: GridState, index: number, machineId: string) {
  const m = gridMachine(grid, index, machineId);
  const names = machineNames(nodePrefix(grid.prefix, grid.nodes[index - 1].index));
  return { ...m, memoryCgroup: path.join(CGROUP_ROOT, 'memory', names.cgroupParent, m.container) };
}

describeWithTools(['runc', 'ip', 'wireguard-go', 'wg', 'losetup', 'mkfs.ext4'], { root: true })('linux backends through examples/backends-proof', () => {
  let grid: GridState;
  let up: Awaited<ReturnType<typeof runE2eExample>>;
  /** The example's `generation` config the stack was last brought up with. */
  let generation = '1';
  beforeAll(async () => {
    grid = await ensureE2eGrid();
    if (grid.backend !== 'linux') throw new Error(`the shared e2e grid runs the ${grid.backend} backend; these tests need linux (root)`);
    up = await runE2eExample(grid, EXAMPLE, 'up', NODES);
  });
  afterAll(async () => {
    if (up) await runE2eExample(grid, EXAMPLE, 'destroy', NODES);
  });

  it('containers on two nodes ping each other over the WireGuard private network', async () => {
    const subnets = up.outputs.nodeSubnets as Record<string, string>;
    const aIp = String(up.outputs.aIp);
    const bIp = String(up.outputs.bIp);
    expect(aIp.split('.').slice(0, 3).join('.') + '.0/24').toBe(subnets['1']);
    expect(bIp.split('.').slice(0, 3).join('.') + '.0/24').toBe(subnets['2']);
    const a = machineOn(grid, 1, String(up.outputs.aId));
    const b = machineOn(grid, 2, String(up.outputs.bId));
    // Each machine is a container on its own node: the other's container does not exist there.
    expect(a.status()).toBe('running');
    expect(b.status()).toBe('running');
    expect(machineOn(grid, 2, String(up.outputs.aId)).status()).toBe('gone');
    const pingFrom = async (m: ReturnType<typeof machineOn>, to: string): Promise<string> => {
      let last = '';
      // the first packets wait for the WireGuard handshake between the nodes
      for (let i = 0; i < 10; i++) {
        try {
          return m.exec('/bin/ping', '-c', '2', '-W', '2', to);
        } catch (err) {
          last = String((err as { stdout?: string }).stdout ?? '') + String((err as Error).message);
          await sleep(500);
        }
      }
      throw new Error(`no answer from ${to}: ${last}`);
    };
    expect(await pingFrom(a, bIp)).toMatch(new RegExp(`bytes from ${bIp.replace(/\./g, '\\.')}`));
    expect(await pingFrom(b, aIp)).toMatch(new RegExp(`bytes from ${aIp.replace(/\./g, '\\.')}`));
    // Node 1 sends the other node's /24 through the network's WireGuard interface, which has a live peer.
    const prefix1 = nodePrefix(grid.prefix, grid.nodes[0].index);
    const viaWg = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((ns) => ns.startsWith(`${prefix1}-nr-`))
      // Other e2e files' networks live on the same shared grid: their namespaces have no route to bIp.
      .map((ns) => ({ ns, dev: /\bdev (\S+)/.exec(routeGet(ns, bIp))?.[1] ?? '' }))
      .filter((r) => r.dev.startsWith(`${prefix1}w`));
    expect(viaWg).toHaveLength(1);
    const transfer = execFileSync('ip', ['netns', 'exec', viaWg[0].ns, 'wg', 'show', viaWg[0].dev, 'transfer'], { encoding: 'utf8' });
    const rx = transfer
      .trim()
      .split('\n')
      .map((l) => Number(l.split('\t')[1] ?? 0));
    expect(Math.max(...rx)).toBeGreaterThan(0);
  });

  it('a file written on a zmount survives a replacement of the machine that keeps the disk', async () => {
    const before = machineOn(grid, 1, String(up.outputs.writerId));
    expect(before.exec('/bin/cat', '/data/note').trim().split('\n')).toEqual(['written-by-generation-1', 'seen-by-generation-1']);
    const next = await runE2eExample(grid, EXAMPLE, 'up', { ...NODES, generation: '2' });
    generation = '2';
    const ops = Object.fromEntries(next.steps.map((s) => [s.name, s.op]));
    expect(ops.writer).toMatch(/replace/);
    expect(ops.keep).toBe('same');
    const after = machineOn(grid, 1, String(next.outputs.writerId));
    expect(after.status()).toBe('running');
    // the new machine's environment and the old machine's file: the disk was kept, the machine is new
    expect(after.exec('/bin/sh', '-c', 'echo $GENERATION').trim()).toBe('2');
    expect(after.exec('/bin/cat', '/data/note').trim().split('\n')).toEqual(['written-by-generation-1', 'seen-by-generation-1', 'seen-by-generation-2']);
    up = next;
  });

  it('a container that allocates more than its memory limit is killed by the kernel (cgroup OOM)', async () => {
    const hog = machineOn(grid, 2, String(up.outputs.hogId));
    let status = hog.status();
    for (let i = 0; i < 60 && status === 'running'; i++) {
      await sleep(500);
      status = hog.status();
    }
    expect(status).toBe('stopped');
    const oom = fs.readFileSync(path.join(hog.memoryCgroup, 'memory.oom_control'), 'utf8');
    expect(Number(/oom_kill (\d+)/.exec(oom)?.[1] ?? '0')).toBeGreaterThan(0);
    const limit = Number(fs.readFileSync(path.join(hog.memoryCgroup, 'memory.limit_in_bytes'), 'utf8'));
    expect(limit).toBe(256 * 1024 * 1024);
  });

  // The node's machine-health check (every 2 s) fails the workload with the backend's reason; `refresh` reads it
  // back into the hog's state and the next `up` (no input changed: every resource `same`) exports it.
  it('the node reports the OOM-killed machine in error with the memory-limit reason', async () => {
    let state = '';
    let message = '';
    for (let i = 0; i < 10 && state !== 'error'; i++) {
      if (i > 0) await sleep(2000);
      await runE2eExample(grid, EXAMPLE, 'refresh', { ...NODES, generation });
      const next = await runE2eExample(grid, EXAMPLE, 'up', { ...NODES, generation });
      expect(next.steps.filter((s) => s.op !== 'same')).toEqual([]);
      state = String(next.outputs.hogState);
      message = String(next.outputs.hogMessage);
    }
    expect(state).toBe('error');
    // then whatever the hog printed last, if anything (`; console: …`, issue 18.6)
    expect(message).toMatch(new RegExp(`^vm is not running: machine exceeded its memory limit of ${256 * 1024 * 1024} bytes and was killed(; console: .+)?$`));
  });
});
