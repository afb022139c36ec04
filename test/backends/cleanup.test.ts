/**
 * Nothing left behind (issue 8; machine.md "clean up by name, stop by PID"): after an orderly close, and after a
 * simulated crash followed by cleanupAll, no namespace, link, mount, loop device, cgroup, socket or process of
 * the node remains.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import { isAlive } from '../../node/backends/machine/host-command';
import { cleanupAll, createLinuxBackends } from '../../node/backends/machine/linux-backends';
import type { LinuxBackends } from '../../node/backends/machine/linux-backends';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';

interface Leftovers {
  netns: string[];
  hostLinks: string[];
  hostRoutes: string[];
  mounts: string[];
  loops: string[];
  cgroups: string[];
  sockets: string[];
  processes: number[];
}

function leftovers(prefix: string, dataDir: string, hostNetns: string, pids: number[]): Leftovers {
  const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
  return {
    netns: sh('ip', 'netns', 'list')
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith(`${prefix}-`)),
    hostLinks: sh('ip', '-n', hostNetns, '-o', 'link')
      .split('\n')
      .filter((l) => l.includes(`${prefix}p`) || l.includes(`${prefix}o`)),
    hostRoutes: [...sh('ip', '-n', hostNetns, '-6', 'route').split('\n'), ...sh('ip', '-n', hostNetns, '-6', 'neigh', 'show', 'proxy').split('\n')].filter((l) => /^[2-5][0-9a-f]{0,2}:/.test(l)),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(dataDir)),
    loops: sh('losetup', '-l', '-n', '-O', 'NAME,BACK-FILE')
      .split('\n')
      .filter((l) => l.includes(dataDir)),
    cgroups: ['memory', 'cpu', 'freezer', 'pids'].filter((c) => existsSync(`/sys/fs/cgroup/${c}/tfgrid-${prefix}`)),
    sockets: (existsSync('/var/run/wireguard') ? sh('ls', '/var/run/wireguard').split('\n') : []).filter((s) => s.startsWith(`${prefix}w`)),
    processes: pids.filter(isAlive),
  };
}

const NONE: Leftovers = { netns: [], hostLinks: [], hostRoutes: [], mounts: [], loops: [], cgroups: [], sockets: [], processes: [] };

describeWithTools(['runc', 'ip', 'wireguard-go', 'wg', 'busybox', 'losetup', 'mkfs.ext4'], { root: true })('cleanup', () => {
  let dir: string;
  let hostNetns: string;
  const tag = (process.pid % 1296).toString(36);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-clean-'));
    hostNetns = `k${tag}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
    execFileSync('ip', ['-n', hostNetns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplinkpeer']);
    execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'uplink', 'up']);
  });
  afterAll(async () => {
    execFileSync('ip', ['netns', 'del', hostNetns]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A network, a machine with a disk and a public IP; returns the pids that must be gone afterwards. */
  async function deploy(b: LinuxBackends, port: number): Promise<number[]> {
    const netId = networkId(7, 'net1');
    const nr = await b.network.apply({
      netId,
      ipRange: '10.20.0.0/16',
      subnet: '10.20.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: port,
      peers: [],
      mycelium: { hexKey: 'c'.repeat(64) },
    });
    const flist = await b.flists.resolve(await buildBaseRootfs(path.join(dir, `base-${port}`)));
    const disk = await b.storage.create({ id: '7-1-d', kind: 'zmount', size: 32n << 20n });
    const mp = await b.storage.mount(disk.id);
    const nic = await b.network.attach({ netId: nr.netId, machine: '7-1-vm', ip: '10.20.2.2', myceliumSeed: '0a0b0c0d0e0f', planetary: true });
    await b.network.attachPublicIp({ machine: '7-1-vm', ip: '198.18.1.10/16', gateway: '198.18.0.1' });
    const st = await b.machines.run({ id: '7-1-vm', name: 'vm', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [{ source: mp, target: '/data' }], nic });
    expect(st.state).toBe('running');
    const wgPid = Number(await fs.readFile(path.join(dir, `n${port}`, 'network', (await fs.readdir(path.join(dir, `n${port}`, 'network'))).find((f) => f.endsWith('.pid')) as string), 'utf8'));
    return [st.pid as number, wgPid];
  }

  it('leaves nothing after an orderly close', async () => {
    const prefix = `a${tag}`;
    const dataDir = path.join(dir, 'n23001');
    const b = createLinuxBackends({ prefix, dataDir, hostNetns, uplink: 'uplink' });
    const pids = await deploy(b, 23001);
    expect(leftovers(prefix, dataDir, hostNetns, pids).processes).toHaveLength(2);
    await b.machines.remove('7-1-vm');
    await b.storage.remove('7-1-d');
    await b.close();
    expect(leftovers(prefix, dataDir, hostNetns, pids)).toEqual(NONE);
  });

  it('leaves nothing after a crash once cleanupAll ran', async () => {
    const prefix = `b${tag}`;
    const dataDir = path.join(dir, 'n23002');
    const b = createLinuxBackends({ prefix, dataDir, hostNetns, uplink: 'uplink' });
    const pids = await deploy(b, 23002);
    const before = leftovers(prefix, dataDir, hostNetns, pids);
    expect(before.netns).toHaveLength(2);
    expect(before.mounts.length).toBeGreaterThanOrEqual(2);
    expect(before.loops).toHaveLength(1);
    expect(before.hostRoutes.length).toBeGreaterThanOrEqual(4); // 2 on-link ranges, 2 proxied addresses (+ routes)
    // the node "crashes": its objects are dropped without close()
    const report = await cleanupAll({ prefix, dataDir, hostNetns });
    expect(report.netns).toHaveLength(2);
    expect(leftovers(prefix, dataDir, hostNetns, pids)).toEqual(NONE);
    await b.machines.close(); // stops the watcher; nothing left to remove
  });
});
