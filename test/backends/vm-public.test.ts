/**
 * A VM-mode machine with a public IPv4 (zos-protocol.md §6.3 VM modes; ZOS gives a VM a second NIC on the public
 * network), through the backends as the zmachine manager drives them: NetworkBackend.attachPublicIp on a `tap` NIC
 * wires a second tap to the uplink (macvlan with the guest's MAC + tc redirects, network/linux.ts) and records it as
 * the NIC's `public`; MachineBackend.run hands it to qemu as eth1, whose address the hub's VM flist takes from
 * `tfgrid_pub=`. A client on the "internet" reaches the VM on its public IP while the private IP still answers
 * inside the network, also from a second node's subnet and from a 100.64 WireGuard address over WireGuard: the NIC's
 * `routes` (ip_range + 100.64.0.0/16 via the private gateway, as ZOS sets them) reach the guest as `tfgrid_routes=`,
 * so its replies do not leave through the public NIC. remove + detach leave no tap, macvlan or qemu.
 * Slow (TCG): its own file, one VM.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { isAlive } from '../../node/backends/machine/host-command';
import { createLinuxBackends, type LinuxBackends } from '../../node/backends/machine/linux-backends';
import { macFor } from '../../node/backends/network/addressing';
import { createLinuxNetwork, networkNames } from '../../node/backends/network/linux';
import { networkId, type NetworkBackend, type NetworkConfig } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { fetchInNs } from '../helpers/netns-http';

jest.setTimeout(180_000);

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });

/** Interface names in a namespace. */
const linksIn = (ns: string) =>
  ip('-n', ns, '-o', 'link', 'show')
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter(Boolean);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'tc', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl', 'nsenter'], { root: true })('VM-mode machine with a public IP', () => {
  const prefix = `u${(process.pid % 1296).toString(36)}`;
  const inet = `${prefix}-inet`;
  const host = `${prefix}-host`;
  const hostB = `${prefix}-hostb`;
  let dir = '';
  let backends: LinuxBackends | undefined;
  let nodeB: NetworkBackend | undefined;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmpub-'));
  });

  afterAll(async () => {
    await backends?.close();
    await nodeB?.close();
    for (const ns of [host, hostB, inet]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* not created */
      }
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers on its public IP from the internet and on its private IP from its own and another subnet, and stops cleanly', async () => {
    // A small "internet": a bridge 203.0.113.1/24 (TEST-NET-3) and two node host namespaces with their uplinks on it.
    ip('netns', 'add', inet);
    ip('-n', inet, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', inet, 'addr', 'add', '203.0.113.1/24', 'dev', 'br0');
    ip('-n', inet, 'link', 'set', 'br0', 'up');
    for (const [ns, addr, h] of [
      [host, '203.0.113.2', 'h1'],
      [hostB, '203.0.113.3', 'h2'],
    ]) {
      ip('netns', 'add', ns);
      ip('-n', inet, 'link', 'add', h, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', ns);
      ip('-n', inet, 'link', 'set', h, 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'uplink');
      ip('-n', ns, 'link', 'set', 'uplink', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    backends = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns: host, uplink: 'uplink', qemu: { maxSeconds: 170 } });
    nodeB = createLinuxNetwork({ host: { prefix: `${prefix}b`, hostNetns: hostB, uplink: 'uplink' }, dir: path.join(dir, 'node-b') });

    const flist = await backends.flists.resolve(await buildVmKernelRootfs(path.join(dir, 'vm-flist')));
    // One network on two nodes, each the other's WireGuard peer (TS's allowed_ips: subnet + 100.64.b.c/32).
    const keys = [wgKeyPair(), wgKeyPair()];
    const ports = [26000 + (process.pid % 1000), 27000 + (process.pid % 1000)];
    const nrConfig = (i: 0 | 1): NetworkConfig => ({
      netId: networkId(7, 'pubnet'),
      ipRange: '10.51.0.0/16',
      subnet: `10.51.${2 + i}.0/24`,
      wgPrivateKey: keys[i].privateKey,
      wgListenPort: ports[i],
      peers: [{ subnet: `10.51.${3 - i}.0/24`, wgPublicKey: keys[1 - i].publicKey, allowedIps: [`10.51.${3 - i}.0/24`, `100.64.51.${3 - i}/32`], endpoint: `203.0.113.${3 - i}:${ports[1 - i]}` }],
    });
    const nr = await backends.network.apply(nrConfig(0));
    const nrB = await nodeB.apply(nrConfig(1));
    const attach = { netId: nr.netId, machine: '7-1-pub', ip: '10.51.2.9', kind: 'tap' as const };
    const first = await backends.network.attach(attach);
    expect(first.public).toBeUndefined();
    // ZOS routes the network's range and the WireGuard access range via the private gateway (vm/utils.go)
    expect(first.routes).toEqual(['10.51.0.0/16', '100.64.0.0/16']);
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
      // From node B's subnet over WireGuard: the reply must go back through eth0, not the default route on eth1.
      const other = await nodeB.attach({ netId: nrB.netId, machine: '7-2-other', ip: '10.51.3.5' });
      expect(await fetchInNs(other.netns, '10.51.2.9', 20_000)).toBe('vm pub\n');
      // From a 100.64 address (what WireGuard access peers use, §6.4): node B's NR address.
      expect(await fetchInNs(nrB.netns, '10.51.2.9', 20_000, nrB.wgIp.split('/')[0])).toBe('vm pub\n');
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
