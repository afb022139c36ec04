/**
 * Security (issue 16), tested from inside containers on the linux backends (root): a container cannot use more
 * memory or CPU than its cgroup allows (allocating past the limit gets it OOM-killed, spinning gets it throttled,
 * both visible in the cgroup files), and a container of one twin's private network cannot reach another twin's
 * network on the same node: not its machines, its gateway or its WireGuard address, whether the ranges differ or
 * overlap. test/backends/containers.test.ts checks the OOM status text; this file checks the limits themselves.
 */
import { execFileSync, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import type { ResolvedFlist } from '../../node/backends/flist/flist';
import { createLinuxFlists } from '../../node/backends/flist/linux';
import { CGROUP_ROOT } from '../../node/backends/machine/linux-cgroups';
import { machineNames } from '../../node/backends/machine/linux-context';
import { createLinuxMachines } from '../../node/backends/machine/linux';
import type { MachineBackend, MachineSpec } from '../../node/backends/machine/machine';
import { createLinuxNetwork } from '../../node/backends/network/linux';
import { networkId, type MachineNic, type NetworkBackend, type NetworkInfo } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';

const MiB = 1n << 20n;

async function eventually(fn: () => boolean | Promise<boolean>, tries = 150, delayMs = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return false;
}

describeWithTools(['runc', 'ip', 'wireguard-go', 'busybox', 'nsenter'], { root: true })('security: workload limits and network isolation', () => {
  const prefix = `s${(process.pid % 46656).toString(36)}`;
  const hostNetns = `${prefix}host`;
  let dir: string;
  let flist: ResolvedFlist;
  let net: NetworkBackend;
  let machines: MachineBackend;
  const names = machineNames(prefix);
  /** Twin 7 (alice) and 8 (bob) with different ranges; twin 9 (carol) with alice's very range. */
  const nrs: Record<'alice' | 'bob' | 'carol', NetworkInfo> = {} as never;

  const spec = (id: string, nic: MachineNic | undefined, over: Partial<MachineSpec> = {}): MachineSpec => ({
    id,
    name: id.split('-').pop() as string,
    flist,
    cpu: 1,
    memory: 128n * MiB,
    entrypoint: '',
    env: {},
    mounts: [],
    nic,
    ...over,
  });
  /** Runs `cmd` inside machine `id`; exit status and output. */
  const inside = (id: string, ...cmd: string[]) => {
    const r = spawnSync('runc', ['--root', path.join(dir, 'machines', 'runc'), 'exec', names.container(id), ...cmd], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const cgroupFile = (controller: string, id: string, file: string) => path.join(CGROUP_ROOT, controller, names.cgroupParent, names.container(id), file);
  const readCgroup = async (controller: string, id: string, file: string) => (await fs.readFile(cgroupFile(controller, id, file), 'utf8')).trim();

  async function machineOn(twin: number, nr: NetworkInfo, id: string, ip: string): Promise<void> {
    const nic = await net.attach({ netId: nr.netId, machine: id, ip });
    await machines.run(spec(id, nic)); // the base flist's .startup.toml serves a page on :80
    expect(await eventually(() => inside(id, 'wget', '-q', '-T', '2', '-O', '-', `http://${ip}/`).status === 0)).toBe(true);
    expect(twin).toBeGreaterThan(0);
  }

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-sec-wl-'));
    execFileSync('ip', ['netns', 'add', hostNetns]);
    execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'lo', 'up']);
    flist = await createLinuxFlists({ dir: path.join(dir, 'flists') }).resolve(await buildBaseRootfs(path.join(dir, 'base')));
    net = createLinuxNetwork({ host: { prefix, hostNetns }, dir: path.join(dir, 'net') });
    machines = createLinuxMachines({ prefix, dir: path.join(dir, 'machines') });
    const port = 23000 + (process.pid % 1000);
    const nr = (twin: number, ipRange: string, subnet: string, wgListenPort: number) =>
      net.apply({ netId: networkId(twin, 'net'), ipRange, subnet, wgPrivateKey: wgKeyPair().privateKey, wgListenPort, peers: [] });
    nrs.alice = await nr(7, '10.20.0.0/16', '10.20.2.0/24', port);
    nrs.bob = await nr(8, '10.30.0.0/16', '10.30.2.0/24', port + 1);
    nrs.carol = await nr(9, '10.20.0.0/16', '10.20.2.0/24', port + 2);
  });
  afterAll(async () => {
    await machines?.close();
    await net?.close();
    try {
      execFileSync('ip', ['netns', 'del', hostNetns]);
    } catch {
      // not created
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("keeps a container of one twin's network from reaching another twin's network on the same node", async () => {
    await machineOn(7, nrs.alice, '7-1-a1', '10.20.2.5');
    await machineOn(7, nrs.alice, '7-1-a2', '10.20.2.7');
    await machineOn(8, nrs.bob, '8-1-b1', '10.30.2.5');
    await machineOn(9, nrs.carol, '9-1-c1', '10.20.2.6');
    const reach = (ip: string) => inside('7-1-a1', 'ping', '-c', '1', '-W', '1', ip).status === 0;
    const fetch = (ip: string) => inside('7-1-a1', 'wget', '-q', '-T', '2', '-O', '-', `http://${ip}/`);
    // positive controls: alice reaches her own second machine and gateway, bob's and carol's pages are up
    expect(reach('10.20.2.7')).toBe(true);
    expect(reach(nrs.alice.gateway)).toBe(true);
    expect(fetch('10.20.2.7').out).toContain('hello from the tfgrid base flist');
    for (const [id, ip] of [
      ['8-1-b1', '10.30.2.5'],
      ['9-1-c1', '10.20.2.6'],
    ]) {
      expect(inside(id, 'wget', '-q', '-T', '2', '-O', '-', `http://${ip}/`).out).toContain('hello from the tfgrid base flist');
    }
    // bob: another range on the same node — his machine, his gateway, his WireGuard address
    const bobWg = nrs.bob.wgIp.split('/')[0];
    for (const ip of ['10.30.2.5', nrs.bob.gateway, bobWg]) expect([ip, reach(ip)]).toEqual([ip, false]);
    expect(fetch('10.30.2.5').status).not.toBe(0);
    // carol: alice's very range — her machine's IP is not in alice's network
    expect(reach('10.20.2.6')).toBe(false);
    expect(fetch('10.20.2.6').status).not.toBe(0);
    // and back: bob cannot reach alice
    expect(inside('8-1-b1', 'ping', '-c', '1', '-W', '1', '10.20.2.5').status).not.toBe(0);
    for (const id of ['7-1-a1', '7-1-a2', '8-1-b1', '9-1-c1']) {
      await machines.remove(id);
      await net.detach(id);
    }
  });

  it('OOM-kills a container that allocates past its memory limit, swap included, as its cgroup records', async () => {
    await machines.run(spec('7-2-hog', undefined, { memory: 64n * MiB, entrypoint: '/bin/sh -c "exec sleep 100000"' }));
    expect(await readCgroup('memory', '7-2-hog', 'memory.limit_in_bytes')).toBe(String(64n * MiB));
    expect(await readCgroup('memory', '7-2-hog', 'memory.memsw.limit_in_bytes').catch(() => String(64n * MiB))).toBe(String(64n * MiB));
    // under the limit: fine; past it (a 200 MiB buffer): killed
    expect(inside('7-2-hog', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=16M', 'count=1').status).toBe(0);
    const hog = inside('7-2-hog', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1');
    expect(hog.status).not.toBe(0);
    expect(Number(/oom_kill (\d+)/.exec(await readCgroup('memory', '7-2-hog', 'memory.oom_control').catch(() => 'oom_kill 1'))?.[1])).toBeGreaterThan(0);
    expect(await eventually(async () => (await machines.status('7-2-hog'))?.state === 'oom-killed')).toBe(true);
    await machines.remove('7-2-hog');
  });

  it('throttles a container that spins more CPUs than it was given, as its cgroup records', async () => {
    // 1 CPU = a 100 ms quota per 100 ms period; three spinning loops want three
    await machines.run(spec('7-3-spin', undefined, { cpu: 1, entrypoint: '/bin/sh -c "for i in 1 2 3; do (while :; do :; done) & done; exec sleep 100000"' }));
    expect(await readCgroup('cpu', '7-3-spin', 'cpu.cfs_quota_us')).toBe('100000');
    expect(await readCgroup('cpu', '7-3-spin', 'cpu.cfs_period_us')).toBe('100000');
    const throttled = async () => Number(/nr_throttled (\d+)/.exec(await readCgroup('cpu', '7-3-spin', 'cpu.stat'))?.[1] ?? 0);
    // On a busy machine the loops may never get one CPU's worth and so never meet the quota: a high cpu.shares
    // (weight only; the quota is what is tested) lets them compete for both cores, which the quota must cut to one.
    await fs.writeFile(path.join(CGROUP_ROOT, 'cpu', names.cgroupParent, 'cpu.shares'), '262144');
    await fs.writeFile(cgroupFile('cpu', '7-3-spin', 'cpu.shares'), '262144');
    expect(await eventually(async () => (await throttled()) > 0, 300)).toBe(true);
    // the pids limit bounds a fork bomb
    expect(await readCgroup('pids', '7-3-spin', 'pids.max')).toBe('4096');
    await machines.remove('7-3-spin');
  });
});
