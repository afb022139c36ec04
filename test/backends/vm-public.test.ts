/**
 * A VM-mode machine with a public IPv4 (zos-protocol.md §6.3 VM modes; ZOS gives a VM a second NIC on the public
 * network), through the backends as the zmachine manager drives them: NetworkBackend.attachPublicIp on a `tap` NIC
 * wires a second tap to the uplink (macvlan with the guest's MAC + tc redirects, network/linux.ts) and records it as
 * the NIC's `public`; MachineBackend.run hands it to qemu as eth1, whose address the hub's VM flist takes from
 * `tfgrid_pub=`. A client on the "internet" reaches the VM on its public IP while the private IP still answers
 * inside the network; remove + detach leave no tap, macvlan or qemu. Slow (TCG): its own file, one VM.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { isAlive } from '../../node/backends/machine/host-command';
import { createLinuxBackends, type LinuxBackends } from '../../node/backends/machine/linux-backends';
import { macFor } from '../../node/backends/network/addressing';
import { networkNames } from '../../node/backends/network/linux';
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

/** Interface names in a namespace. */
const linksIn = (ns: string) => ip('-n', ns, '-o', 'link', 'show').split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter(Boolean);

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
    backends = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns: host, uplink: 'uplink', qemu: { maxSeconds: 170 } });

    const flist = await backends.flists.resolve(await buildVmKernelRootfs(path.join(dir, 'vm-flist')));
    const nr = await backends.network.apply({ netId: networkId(7, 'pubnet'), ipRange: '10.51.0.0/16', subnet: '10.51.2.0/24', wgPrivateKey: wgKeyPair().privateKey, wgListenPort: 26000 + (process.pid % 1000), peers: [] });
    const attach = { netId: nr.netId, machine: '7-1-pub', ip: '10.51.2.9', kind: 'tap' as const };
    expect((await backends.network.attach(attach)).public).toBeUndefined();
    await expect(backends.network.attachPublicIp({ machine: '7-1-pub', ip: '', gateway: '', ip6: '2001:db8::50/64' })).rejects.toThrow('not IPv6 alone');
    await expect(backends.network.attachPublicIp({ machine: '7-1-pub', ip: '203.0.113.50', gateway: '203.0.113.1' })).rejects.toThrow("invalid public ip '203.0.113.50'");
    await backends.network.attachPublicIp({ machine: '7-1-pub', ip: '203.0.113.50/24', gateway: '203.0.113.1' });
    await backends.network.attachPublicIp({ machine: '7-1-pub', ip: '203.0.113.50/24', gateway: '203.0.113.1' }); // idempotent
    const nic = await backends.network.attach(attach);
    const names = networkNames(prefix);
    expect(nic.public).toEqual({ ifname: names.publicTap('7-1-pub'), mac: macFor('pub:7-1-pub'), ip: '203.0.113.50/24', gateway: '203.0.113.1' });
    // Both ends of the public path live in the NR namespace; nothing is left in the node's host namespace.
    expect(linksIn(nr.netns)).toEqual(expect.arrayContaining([names.publicTap('7-1-pub'), names.macvlan('7-1-pub'), names.tap('7-1-pub')]));
    expect(linksIn(host)).not.toContain(names.macvlan('7-1-pub'));

    const st = await backends.machines.run({ id: '7-1-pub', name: 'pub', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic });
    expect(st.state).toBe('running');
    const pid = st.pid as number;
    try {
      expect(await fetchInNs(inet, '203.0.113.50', 120_000)).toBe('vm pub\n');
      expect(await fetchInNs(nr.netns, '10.51.2.9', 30_000)).toBe('vm pub\n');
      expect(await backends.machines.logs('7-1-pub')).toContain('VM-READY 10.51.2.9');
      // The guest routes by default through the public NIC: the internet gateway answers its ARP from eth1's MAC.
      expect(ip('-n', inet, 'neigh', 'show', '203.0.113.50')).toContain(nic.public?.mac);
    } finally {
      await backends.machines.remove('7-1-pub');
      await backends.network.detach('7-1-pub');
    }
    expect(isAlive(pid)).toBe(false);
    for (const dev of [names.publicTap('7-1-pub'), names.macvlan('7-1-pub'), names.tap('7-1-pub')]) {
      expect(linksIn(nr.netns)).not.toContain(dev);
      expect(linksIn(host)).not.toContain(dev);
    }
  });
});
