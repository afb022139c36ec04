/**
 * The base flist's `wget` inside a runc container, the way grid nodes run machines (node/backends/machine
 * linux.ts: overlay root, runc, `runc exec`; machine.md runc): pages from an IPv4 and an IPv6 literal in a
 * neighbour namespace, with and without `-T`. Debian's busybox-static wget segfaults (exit 139) on any `-T`
 * (base-flist.ts), which these rows would have caught.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLinuxFlists } from '../../node/backends/flist/linux';
import { runCommand } from '../../node/backends/machine/host-command';
import { createLinuxMachines, machineNames } from '../../node/backends/machine/linux';
import type { MachineBackend } from '../../node/backends/machine/machine';
import { describeWithTools } from '../../test/helpers/require-tools';
import { buildBaseRootfs } from './base-flist';

jest.setTimeout(60_000);

const PAGE = 'hello from the tfgrid base flist';
const V4 = { server: '10.231.0.1', machine: '10.231.0.2' };
const V6 = { server: 'fd31::1', machine: 'fd31::2' };
const PORT = 8080;
/** Accepts and never answers. */
const SILENT_PORT = 8081;
const tag = `tfgw${process.pid}`;
const NS = { machine: `${tag}m`, server: `${tag}s` };
const PREFIX = `w${(process.pid % 46656).toString(36)}`;
const MACHINE_ID = '7-1-web';

const ip = (...args: string[]) => runCommand('ip', args);

/** Waits until something in `ns` listens on TCP `port` (v4 or v6), read from that namespace's /proc/net. */
async function waitListening(ns: string, port: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 200; i++) {
    const { stdout } = await runCommand('ip', ['netns', 'exec', ns, 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
    if (stdout.split('\n').some((l) => l.includes(hex) && l.trim().split(/\s+/)[3] === '0A')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on port ${port} in namespace ${ns}`);
}

describeWithTools(['runc', 'busybox', 'ip', 'mount'], { root: true })('base flist wget in a runc container', () => {
  let dir: string;
  let machines: MachineBackend;
  const servers: ChildProcess[] = [];

  /** `cmd` inside the machine, with its exit code and both streams. */
  const inMachine = (...cmd: string[]) => {
    const r = spawnSync('runc', ['--root', path.join(dir, 'machines', 'runc'), 'exec', machineNames(PREFIX).container(MACHINE_ID), ...cmd], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  const wget = (...args: string[]) => inMachine('wget', ...args);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-wget-'));
    // Two namespaces on one veth: the machine's (its eth0) and a server's, each with a v4 and a v6 address.
    for (const ns of Object.values(NS)) await ip('netns', 'add', ns);
    await ip('link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`);
    await ip('link', 'set', `${tag}a`, 'netns', NS.machine);
    await ip('link', 'set', `${tag}b`, 'netns', NS.server);
    await ip('-n', NS.machine, 'link', 'set', `${tag}a`, 'name', 'eth0');
    for (const [ns, dev, v4, v6] of [
      [NS.machine, 'eth0', V4.machine, V6.machine],
      [NS.server, `${tag}b`, V4.server, V6.server],
    ]) {
      await ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev);
      await ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad');
      await ip('-n', ns, 'link', 'set', dev, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    const rootfs = await buildBaseRootfs(path.join(dir, 'base'));
    servers.push(spawn('ip', ['netns', 'exec', NS.server, 'busybox', 'httpd', '-f', '-p', String(PORT), '-h', path.join(rootfs, 'var/www')], { stdio: 'ignore', detached: true }));
    // nc holds the connection open (its stdin never ends) and sends nothing.
    servers.push(spawn('ip', ['netns', 'exec', NS.server, 'sh', '-c', `sleep 120 | busybox nc -l -p ${SILENT_PORT}`], { stdio: 'ignore', detached: true }));
    await waitListening(NS.server, PORT);
    await waitListening(NS.server, SILENT_PORT);

    const flist = await createLinuxFlists({ dir: path.join(dir, 'flists') }).resolve(rootfs);
    machines = createLinuxMachines({ prefix: PREFIX, dir: path.join(dir, 'machines') });
    const nic = { machine: MACHINE_ID, netId: 'net', netns: NS.machine, ifname: 'eth0', kind: 'veth' as const, ip: V4.machine, prefixLength: 24, gateway: V4.server, mac: '' };
    const st = await machines.run({ id: MACHINE_ID, name: 'web', flist, cpu: 1, memory: 128n << 20n, entrypoint: '', env: {}, mounts: [], nic });
    expect(st.state).toBe('running');
  });

  afterAll(async () => {
    if (machines) await machines.remove(MACHINE_ID).catch(() => undefined);
    for (const s of servers) if (s.pid) process.kill(-s.pid, 'SIGKILL');
    for (const ns of Object.values(NS)) await ip('netns', 'del', ns).catch(() => undefined);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const v4url = `http://${V4.server}:${PORT}/`;
  const v6url = `http://[${V6.server}]:${PORT}/`;
  it.each([
    ['IPv4 literal', ['-q', '-O', '-', v4url]],
    ['IPv6 literal', ['-q', '-O', '-', v6url]],
    ['IPv4 literal, -T SEC', ['-q', '-T', '5', '-O', '-', v4url]],
    ['IPv6 literal, -T SEC', ['-q', '-T', '5', '-O', '-', v6url]],
    ['IPv6 literal, -TSEC', ['-q', '-T5', '-O', '-', v6url]],
    ['IPv4 literal, --timeout=SEC', ['-q', '--timeout=5', '-O', '-', v4url]],
    ['IPv6 literal, --timeout SEC', ['-q', '--timeout', '5', '-O', '-', v6url]],
  ])('fetches the page from an %s', (_what, args) => {
    const r = wget(...args);
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(r.stdout).toBe(`${PAGE}\n`);
  });

  it("gives up on a server that never answers after -T seconds, with wget's message and exit 1", () => {
    const r = wget('-q', '-T', '2', '-O', '-', `http://${V4.server}:${SILENT_PORT}/`);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 1, stderr: 'wget: download timed out\n', stdout: '' });
  });

  it("passes wget's own failures through and refuses a timeout that is not a number", () => {
    expect(wget('-q', '-T', '5', '-O', '-', `http://[${V6.server}]:9/`)).toMatchObject({ code: 1, stderr: "wget: can't connect to remote host: Connection refused\n" });
    expect(wget('-T', 'soon', v4url)).toMatchObject({ code: 1, stderr: "wget: invalid number 'soon'\n" });
  });

  it('keeps option arguments that look like -T: -O -T writes the file "-T"', () => {
    expect(wget('-q', '-O', '/tmp/-T', v4url)).toMatchObject({ code: 0, stderr: '' });
    expect(inMachine('cat', '/tmp/-T')).toMatchObject({ code: 0, stdout: `${PAGE}\n` });
  });
});
