/**
 * A node restart with a VM on it (zos-protocol.md §3.8 boot: active workloads are provisioned again; on ZOS the VMs
 * keep running through it). New backends on the same data dir and prefix get the calls the engine's boot recovery
 * makes for a zmachine (network `apply`, `attach` of the `tap` NIC, machine `run`) and must adopt what still runs:
 * the same taps (private, and public: a second NIC on the uplink) and the same qemu, which keeps answering on its
 * private and public IPs. A qemu that died while the node was down, or runs another spec than the stored one, is
 * started again on the same taps. Afterwards `remove` leaves no qemu, tap, macvlan or machine directory.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { createLinuxBackends } from '../../node/backends/machine/linux-backends';
import type { LinuxBackends } from '../../node/backends/machine/linux-backends';
import { isAlive } from '../../node/backends/machine/host-command';
import { machineNames } from '../../node/backends/machine/linux';
import type { MachineSpec } from '../../node/backends/machine/machine';
import { networkNames } from '../../node/backends/network/linux';
import { networkId } from '../../node/backends/network/network';
import type { NetworkConfig } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { fetchInNs, sleep } from '../helpers/netns-http';

jest.setTimeout(180_000);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'tc', 'wireguard-go', 'wg', 'busybox', 'apt-get', 'dpkg', 'curl'], { root: true })('VM through a node restart', () => {
  let dir: string;
  let hostNetns: string;
  const prefix = `k${(process.pid % 1296).toString(36)}`;
  const inet = `${prefix}-inet`;
  const incarnations: LinuxBackends[] = [];
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmrestart-'));
    hostNetns = `${prefix}-host`;
    // a small "internet" (TEST-NET-3 bridge) with the node's uplink on it, for the VM's public IP
    const ip = (...args: string[]) => execFileSync('ip', args);
    ip('netns', 'add', hostNetns);
    ip('netns', 'add', inet);
    ip('-n', inet, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', inet, 'addr', 'add', '203.0.113.1/24', 'dev', 'br0');
    ip('-n', inet, 'link', 'set', 'br0', 'up');
    ip('-n', inet, 'link', 'add', 'h1', 'type', 'veth', 'peer', 'name', 'uplink', 'netns', hostNetns);
    ip('-n', inet, 'link', 'set', 'h1', 'master', 'br0', 'up');
    ip('-n', hostNetns, 'addr', 'add', '203.0.113.2/24', 'dev', 'uplink');
    for (const dev of ['uplink', 'lo']) ip('-n', hostNetns, 'link', 'set', dev, 'up');
  });
  afterAll(async () => {
    // newest first: it knows what still runs; older ones find nothing left (their watcher timers are unref'd)
    for (const b of incarnations.reverse()) await b.close().catch(() => undefined);
    for (const ns of [hostNetns, inet]) execFileSync('ip', ['netns', 'del', ns]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Fresh backends on the same data dir and prefix: the node process started again, nothing of the old one closed. */
  function boot(): LinuxBackends {
    const b = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns, uplink: 'uplink', qemu: { maxSeconds: 170 } });
    incarnations.push(b);
    return b;
  }

  /**
   * What boot recovery does for a network + zmachine deployment (managers/network.ts, managers/zmachine.ts): with a
   * public IP, attach, attachPublicIp and attach again for the NIC carrying the public tap.
   */
  async function provision(b: LinuxBackends, cfg: NetworkConfig, spec: Omit<MachineSpec, 'nic'>, ip: string, publicIp?: string) {
    const nr = await b.network.apply(cfg);
    const req = { netId: nr.netId, machine: spec.id, ip, kind: 'tap' as const };
    let nic = await b.network.attach(req);
    if (publicIp) {
      await b.network.attachPublicIp({ machine: spec.id, ip: publicIp, gateway: '203.0.113.1' });
      nic = await b.network.attach(req);
    }
    const st = await b.machines.run({ ...spec, nic });
    return { nr, nic, st };
  }

  const PUB = '203.0.113.50/24';
  const PUB_ADDR = '203.0.113.50';
  const links = (ns: string) => execFileSync('ip', ['-n', ns, '-o', 'link'], { encoding: 'utf8' });

  it('adopts the running qemu and its taps; a qemu that died meanwhile or runs another spec is started again; remove leaves nothing', async () => {
    const first = boot();
    const flist = await first.flists.resolve(await buildVmKernelRootfs(path.join(dir, 'vm-flist')));
    const cfg: NetworkConfig = {
      netId: networkId(7, 'vmr'),
      ipRange: '10.54.0.0/16',
      subnet: '10.54.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 23000 + (process.pid % 1000),
      peers: [],
    };
    const spec = { id: '7-1-vmr', name: 'survivor', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [] };
    const machineDir = path.join(dir, 'node', 'machines', machineNames(prefix).dirName(spec.id));

    const one = await provision(first, cfg, spec, '10.54.2.9', PUB);
    expect(one.st.state).toBe('running');
    expect(one.nic.public?.ip).toBe(PUB);
    expect(await fetchInNs(one.nr.netns, '10.54.2.9', 90_000)).toBe('vm survivor\n');
    expect(await fetchInNs(inet, PUB_ADDR, 30_000)).toBe('vm survivor\n');

    // restart 1: qemu still runs and holds its tap
    const second = boot();
    const two = await provision(second, cfg, spec, '10.54.2.9', PUB);
    expect(two.nic).toEqual(one.nic);
    expect(two.st).toMatchObject({ state: 'running', pid: one.st.pid });
    expect(isAlive(one.st.pid as number)).toBe(true);
    expect(await fetchInNs(two.nr.netns, '10.54.2.9', 30_000)).toBe('vm survivor\n');
    expect(await fetchInNs(inet, PUB_ADDR, 30_000)).toBe('vm survivor\n');
    // the adopted machine is managed as before: pause and resume reach the same qemu
    await second.machines.pause(spec.id);
    expect(await second.machines.status(spec.id)).toMatchObject({ state: 'paused', pid: one.st.pid });
    await second.machines.resume(spec.id);
    expect(await second.machines.status(spec.id)).toMatchObject({ state: 'running', pid: one.st.pid });

    // restart 2: qemu died while the node was down → started again (one qemu), same tap and IP, answers again
    process.kill(one.st.pid as number, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(one.st.pid as number); i++) await sleep(50);
    const third = boot();
    const three = await provision(third, cfg, spec, '10.54.2.9', PUB);
    expect(three.nic).toEqual(one.nic);
    expect(three.st.state).toBe('running');
    expect(three.st.pid).not.toBe(one.st.pid);
    expect(await fetchInNs(three.nr.netns, '10.54.2.9', 90_000)).toBe('vm survivor\n');
    expect(await third.machines.list()).toEqual([expect.objectContaining({ id: spec.id, state: 'running', pid: three.st.pid })]);

    // restart 3: the stored spec differs from what runs (more memory) → the old qemu is stopped, the new spec started
    const fourth = boot();
    const four = await provision(fourth, cfg, { ...spec, memory: 320n << 20n }, '10.54.2.9', PUB);
    expect(four.st.state).toBe('running');
    expect(four.st.pid).not.toBe(three.st.pid);
    expect(isAlive(three.st.pid as number)).toBe(false);
    expect(await fetchInNs(four.nr.netns, '10.54.2.9', 90_000)).toBe('vm survivor\n');
    expect(await fetchInNs(inet, PUB_ADDR, 30_000)).toBe('vm survivor\n');

    await fourth.machines.remove(spec.id);
    await fourth.network.detach(spec.id);
    expect(isAlive(four.st.pid as number)).toBe(false);
    for (const dev of [one.nic.ifname, one.nic.public?.ifname as string, networkNames(prefix).macvlan(spec.id)]) {
      expect(links(four.nr.netns)).not.toContain(dev);
      expect(links(hostNetns)).not.toContain(dev);
    }
    expect(existsSync(machineDir)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/memory/tfgrid-${prefix}/${machineNames(prefix).container(spec.id)}-console`)).toBe(false);
  });

  it('removes a VM no call has touched since the restart (a boot that failed before run): qemu, tap and dir', async () => {
    const first = boot();
    const flist = await first.flists.resolve(await buildVmKernelRootfs(path.join(dir, 'vm-flist-2')));
    const cfg: NetworkConfig = {
      netId: networkId(7, 'vmr2'),
      ipRange: '10.55.0.0/16',
      subnet: '10.55.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 22000 + (process.pid % 1000),
      peers: [],
    };
    const spec = { id: '7-2-vmr', name: 'orphan', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [] };
    const one = await provision(first, cfg, spec, '10.55.2.4');
    expect(one.st.state).toBe('running');

    const second = boot();
    const nr = await second.network.apply(cfg);
    await second.machines.remove(spec.id);
    await second.network.detach(spec.id);
    expect(isAlive(one.st.pid as number)).toBe(false);
    expect(links(nr.netns)).not.toContain(one.nic.ifname);
    expect(existsSync(path.join(dir, 'node', 'machines', machineNames(prefix).dirName(spec.id)))).toBe(false);
  });
});
