/**
 * A VM-mode machine with a public IPv4 (zos-protocol.md §6.3 VM modes; ZOS gives a VM a second NIC on the public
 * network). qemu gets a second tap (vm-qemu.ts `publicNic`), the hub's VM flist sets the address from
 * `tfgrid_pub=` on eth1, and a client on the "internet" reaches the VM on its public IP while the private IP still
 * answers inside the network. Slow (TCG): its own file, one VM.
 *
 * The wiring of that tap to the node's uplink is done here with ip/tc, as NetworkBackend.attachPublicIp would do it
 * for a `tap` NIC (it refuses today): inside the NR namespace, a macvlan of the uplink carrying the guest's MAC and
 * a tap, joined both ways by tc `mirred` redirects (a bridge would keep frames for the macvlan's own MAC).
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { isAlive } from '../../node/backends/machine/host-command';
import { createLinuxBackends, type LinuxBackends } from '../../node/backends/machine/linux-backends';
import { createQemuRunner, type VmPublicNic } from '../../node/backends/machine/vm-qemu';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';

jest.setTimeout(180_000);

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET http://<addr>/ from inside `ns`, retried while the VM boots; '' when it never answers. */
async function fetchInNs(ns: string, addr: string, waitMs: number): Promise<string> {
  for (const end = Date.now() + waitMs; Date.now() < end; ) {
    try {
      return execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'curl', '-sS', '--max-time', '2', `http://${addr}/`], { encoding: 'utf8', stdio: 'pipe', timeout: 10_000 });
    } catch {
      await sleep(1000);
    }
  }
  return '';
}

/** Joins `tap` to the uplink through a macvlan with the guest's MAC, inside `nrNs` (see the header). */
function wirePublicTap(hostNs: string, uplink: string, nrNs: string, names: { macvlan: string; tap: string }, mac: string): void {
  ip('-n', hostNs, 'link', 'add', names.macvlan, 'link', uplink, 'address', mac, 'type', 'macvlan', 'mode', 'bridge');
  ip('-n', hostNs, 'link', 'set', names.macvlan, 'netns', nrNs);
  ip('-n', nrNs, 'tuntap', 'add', names.tap, 'mode', 'tap');
  for (const dev of [names.macvlan, names.tap]) ip('-n', nrNs, 'link', 'set', dev, 'up');
  const tc = (...args: string[]) => execFileSync('ip', ['netns', 'exec', nrNs, 'tc', ...args], { stdio: 'pipe' });
  for (const [from, to] of [[names.macvlan, names.tap], [names.tap, names.macvlan]]) {
    tc('qdisc', 'add', 'dev', from, 'ingress');
    tc('filter', 'add', 'dev', from, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to);
  }
}

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'tc', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl', 'nsenter'], { root: true })('VM-mode machine with a public IP', () => {
  const prefix = `u${(process.pid % 1296).toString(36)}`;
  const inet = `${prefix}-inet`;
  const host = `${prefix}-host`;
  let dir = '';
  let backends: LinuxBackends | undefined;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmpub-'));
  });

  afterAll(async () => {
    await backends?.close();
    for (const ns of [host, inet]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not created */
      }
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers on its public IP from the internet and on its private IP inside the network, and stops cleanly', async () => {
    // A small "internet": a bridge 203.0.113.1/24 (TEST-NET-3) and a node host namespace with its uplink on it.
    ip('netns', 'add', inet);
    ip('netns', 'add', host);
    ip('-n', inet, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', inet, 'addr', 'add', '203.0.113.1/24', 'dev', 'br0');
    ip('-n', inet, 'link', 'set', 'br0', 'up');
    ip('-n', inet, 'link', 'add', 'h1', 'type', 'veth', 'peer', 'name', 'uplink', 'netns', host);
    ip('-n', inet, 'link', 'set', 'h1', 'master', 'br0', 'up');
    ip('-n', host, 'addr', 'add', '203.0.113.2/24', 'dev', 'uplink');
    ip('-n', host, 'link', 'set', 'uplink', 'up');
    ip('-n', host, 'link', 'set', 'lo', 'up');
    backends = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns: host, uplink: 'uplink' });

    const flist = await backends.flists.resolve(await buildVmKernelRootfs(path.join(dir, 'vm-flist')));
    const nr = await backends.network.apply({ netId: networkId(7, 'pubnet'), ipRange: '10.51.0.0/16', subnet: '10.51.2.0/24', wgPrivateKey: wgKeyPair().privateKey, wgListenPort: 26000 + (process.pid % 1000), peers: [] });
    const nic = await backends.network.attach({ netId: nr.netId, machine: '7-1-pub', ip: '10.51.2.9', kind: 'tap' });
    const pub: VmPublicNic = { ifname: `${prefix}q`, mac: '02:54:00:aa:bb:09', ip: '203.0.113.50/24', gateway: '203.0.113.1' };
    wirePublicTap(host, 'uplink', nr.netns, { macvlan: `${prefix}m`, tap: pub.ifname }, pub.mac);

    const qemu = createQemuRunner({ maxSeconds: 170 });
    const mdir = path.join(dir, 'machine');
    await fs.mkdir(mdir);
    const spec = { id: '7-1-pub', name: 'pub', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic };
    const pid = await qemu.start(mdir, spec, { publicNic: pub });
    try {
      expect(await fetchInNs(inet, '203.0.113.50', 120_000)).toBe('vm pub\n');
      expect(await fetchInNs(nr.netns, '10.51.2.9', 30_000)).toBe('vm pub\n');
      expect(await fs.readFile(path.join(mdir, 'console.log'), 'utf8')).toContain('VM-READY 10.51.2.9');
      // The guest routes by default through the public NIC: the internet gateway answers its ARP from eth1's MAC.
      expect(ip('-n', inet, 'neigh', 'show', '203.0.113.50')).toContain(pub.mac);
    } finally {
      await qemu.stop(mdir);
    }
    expect(isAlive(pid)).toBe(false);
    expect((await qemu.status(mdir, '7-1-pub')).state).toBe('exited');
  });
});
