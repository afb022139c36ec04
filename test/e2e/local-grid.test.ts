/**
 * `tfgrid local up → status → logs → down → up → down` through the real CLI (issue 7 "Done when"): idempotent up,
 * status --json with chain/relay URLs and each node's id, twin, farm, public IPs and domain, and after `down`
 * nothing of the grid remains (no process, namespace, interface, mount, loop device, cgroup, wireguard socket,
 * gateway socket dir).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loopsUnder, mountsUnder } from '../../local/grid/cleanup';
import { gridProcesses } from '../../local/grid/grid';
import { readState, type GridState } from '../../local/grid/state';
import { isRunning } from '../../local/grid/supervisor';
import { listNamespaces } from '../../local/topology/topology';
import { runCommand } from '../../local/topology/command';

jest.setTimeout(300_000);
const BIN = path.join(__dirname, '..', '..', 'bin', 'tfgrid');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-e2e-life-'));

function tfgrid(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const up = () => tfgrid(['local', 'up', '--nodes', '2', '--dir', dir, '--chain-port', '0', '--relay-port', '0', '--hub-port', '0']);

/** Command lines of live processes (not this one) that name the grid directory or start a word with the prefix. */
function processesOf(state: GridState): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (cmd.includes(dir) || new RegExp(`(^|[\\s/=-])${state.prefix}`).test(cmd)) out.push(`${pid}: ${cmd}`);
  }
  return out;
}

/** cgroup directories (any controller, 3 levels deep) whose name starts with the grid's prefix. */
function cgroupsOf(state: GridState): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(state.prefix)) out.push(path.join(d, e.name));
      else if (depth < 3) walk(path.join(d, e.name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}

async function expectNothingLeft(state: GridState): Promise<void> {
  for (const p of gridProcesses(state)) expect({ name: p.name, running: isRunning(p) }).toEqual({ name: p.name, running: false });
  expect(processesOf(state)).toEqual([]);
  expect(cgroupsOf(state)).toEqual([]);
  const links = (await runCommand('ip', ['-o', 'link', 'show'])).split('\n').map((l) => l.split(':')[1]?.trim() ?? '');
  expect(links.filter((l) => l.startsWith(state.prefix))).toEqual([]);
  expect((await listNamespaces()).filter((n) => n.startsWith(state.prefix))).toEqual([]);
  expect(mountsUnder(dir)).toEqual([]);
  expect(await loopsUnder(dir)).toEqual([]);
  const socks = fs.existsSync('/var/run/wireguard') ? fs.readdirSync('/var/run/wireguard') : [];
  expect(socks.filter((s) => s.startsWith(state.prefix))).toEqual([]);
  // The gateways' private-network forwarder dirs (one per node).
  expect(fs.readdirSync('/run').filter((d) => d.startsWith(`tfgrid-${state.prefix}`))).toEqual([]);
  expect(readState(dir)).toBeUndefined();
}

afterAll(async () => {
  await tfgrid(['local', 'reset', '--dir', dir]);
});

describe('tfgrid local up/status/logs/down', () => {
  let first: GridState;

  it('up starts chain, relay, hub, DNS and 2 nodes and prints what runs where (plain lines in CI)', async () => {
    const r = await up();
    expect(r.stderr).not.toMatch(/\r/); // CI: no spinner
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/local grid: running/);
    expect(r.stdout).toMatch(/running chain {2}ws:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/running node \d+ {2}\(node1\) {2}twin \d+ {2}farm \d+ {2}domain node1\.tfgrid\.test/);
    first = readState(dir)!;
    expect(first.nodes).toHaveLength(2);
    // what the after-down check looks for is found while the grid runs (each node daemon names its config)
    expect(processesOf(first).length).toBeGreaterThanOrEqual(2);
  });

  it('status --json reports chain and relay URLs and each node id, twin, farm, public IPs and domain', async () => {
    const r = await tfgrid(['local', 'status', '--json', '--dir', dir]);
    expect(r.code).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st.running).toBe(true);
    expect(st.chain.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(st.relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(st.nodes.map((n: { domain: string }) => n.domain)).toEqual(['node1.tfgrid.test', 'node2.tfgrid.test']);
    for (const n of st.nodes) {
      expect(n).toEqual(expect.objectContaining({ id: expect.any(Number), twinId: expect.any(Number), farmId: expect.any(Number), running: true }));
      expect(n.publicIps.length).toBeGreaterThan(0);
    }
  });

  it('up again returns the running grid untouched', async () => {
    const r = await up();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('local grid already running');
    expect(readState(dir)!.chain!.process!.pid).toBe(first.chain!.process!.pid);
  });

  it('logs shows a node log and names the known logs for an unknown one', async () => {
    const r = await tfgrid(['local', 'logs', 'node1', '--dir', dir]);
    expect(r.stdout).toContain('node ready: node');
    const bad = await tfgrid(['local', 'logs', 'nope', '--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no log named "nope"; known: chain, relay, hub, dns, gridproxy, node1, node2');
  });

  it('down leaves no process, namespace, mount, loop device or wireguard socket; up works again', async () => {
    const before = readState(dir)!;
    const r = await tfgrid(['local', 'down', '--dir', dir]);
    expect(r.code).toBe(0);
    await expectNothingLeft(before);
    const st = await tfgrid(['local', 'status', '--dir', dir]);
    expect(st.code).toBe(3);
    expect(st.stdout).toContain('not running');

    const again = await up();
    expect(again.code).toBe(0);
    const second = readState(dir)!;
    expect(second.prefix).not.toBe(before.prefix);
    await tfgrid(['local', 'down', '--dir', dir]);
    await expectNothingLeft(second);
  });
});
