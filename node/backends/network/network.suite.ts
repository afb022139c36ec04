/**
 * The NetworkBackend behaviour suite (docs/style.md §6), run for every implementation. Facts: zos-protocol.md
 * §6.2 (interface rules and texts), §6.4 (gateway .1, 100.64 addressing, port reservation), §7.
 * @module
 */
import nacl from 'tweetnacl';
import { ZosError } from '../../../protocol/common/errors';
import { networkId } from './network';
import type { NetworkBackend, NetworkConfig } from './network';
import { suiteIt, type SuiteOptions } from '../suite-options';

export interface NetworkFixture {
  backend: NetworkBackend;
  /** Called after the suite; must leave nothing behind. */
  teardown(): Promise<void>;
}

export function wgKeyPair(): { privateKey: string; publicKey: string } {
  const kp = nacl.box.keyPair();
  return { privateKey: Buffer.from(kp.secretKey).toString('base64'), publicKey: Buffer.from(kp.publicKey).toString('base64') };
}

export function describeNetworkBackend(name: string, make: () => Promise<NetworkFixture>, opts: SuiteOptions = {}, describeFn: jest.Describe = describe): void {
  const it_ = suiteIt(opts.differs);

  describeFn(`NetworkBackend: ${name}`, () => {
    let fx: NetworkFixture;
    let net: NetworkBackend;
    const port = 20000 + (process.pid % 20000);
    const cfg = (n: string, subnet: string, p: number, extra: Partial<NetworkConfig> = {}): NetworkConfig => ({
      netId: networkId(7, n),
      ipRange: '10.20.0.0/16',
      subnet,
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: p,
      peers: [],
      ...extra,
    });
    beforeAll(async () => {
      fx = await make();
      net = fx.backend;
    });
    afterEach(async () => {
      for (const n of await net.list()) await net.remove(n.netId);
    });
    afterAll(async () => {
      await net.close();
      await fx.teardown();
    });

    it_('applies a network resource with gateway .1 and the 100.64 wireguard address', async () => {
      const info = await net.apply(cfg('net1', '10.20.2.0/24', port));
      expect(info).toMatchObject({ subnet: '10.20.2.0/24', gateway: '10.20.2.1', wgIp: '100.64.20.2/16', wgListenPort: port });
      expect(await net.listWgPorts()).toEqual([port]);
      expect((await net.get(info.netId))?.subnet).toBe('10.20.2.0/24');
    });

    it_('re-applies in place with new peers and keeps attached machines', async () => {
      const c = cfg('net1', '10.20.2.0/24', port);
      await net.apply(c);
      await net.attach({ netId: c.netId, machine: '7-1-vm', ip: '10.20.2.5' });
      const peer = wgKeyPair();
      await net.apply({ ...c, peers: [{ subnet: '10.20.3.0/24', wgPublicKey: peer.publicKey, allowedIps: ['10.20.3.0/24', '100.64.20.3/32'], endpoint: '127.0.0.1:1' }] });
      expect(await net.listPrivateIps(c.netId)).toEqual(['10.20.2.5']);
    });

    it_('refuses a wireguard port another network resource holds', async () => {
      await net.apply(cfg('net1', '10.20.2.0/24', port));
      const err = await net.apply(cfg('net2', '10.30.2.0/24', port)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZosError);
      expect((err as Error).message).toBe('wireguard listen port already in use, pick another one');
    });

    it_('rejects machine IPs the way ZOS does', async () => {
      const c = cfg('net1', '10.20.2.0/24', port);
      await net.apply(c);
      const msg = (ip: string) =>
        net.attach({ netId: c.netId, machine: '7-1-x', ip }).then(
          () => 'ok',
          (e: Error) => e.message,
        );
      expect(await msg('fe80::1')).toBe('invalid IPv4 supplied to wg interface');
      expect(await msg('10.20.3.4')).toBe('IP 10.20.3.4 is not part of local nr subnet 10.20.2.0/24');
      expect(await msg('10.20.2.1')).toBe('ip 10.20.2.1 is reserved');
    });

    it_('attaches a machine once per ip, lists it, refuses its ip to another machine', async () => {
      const c = cfg('net1', '10.20.2.0/24', port);
      await net.apply(c);
      const a = await net.attach({ netId: c.netId, machine: '7-1-a', ip: '10.20.2.2' });
      const again = await net.attach({ netId: c.netId, machine: '7-1-a', ip: '10.20.2.2' });
      expect(again).toEqual(a);
      expect(a).toMatchObject({ ifname: 'eth0', kind: 'veth', gateway: '10.20.2.1', prefixLength: 24 });
      expect(a.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
      await expect(net.attach({ netId: c.netId, machine: '7-1-b', ip: '10.20.2.2' })).rejects.toThrow('already used');
      await net.detach('7-1-a');
      await net.detach('7-1-a');
      expect(await net.listPrivateIps(c.netId)).toEqual([]);
    });

    it_('gives mycelium machines <NR /64>:ff0f:<seed> and planetary machines a 200::/7 address', async () => {
      const c = cfg('net1', '10.20.2.0/24', port, { mycelium: { hexKey: 'ab'.repeat(32) } });
      const info = await net.apply(c);
      expect(info.myceliumPrefix).toMatch(/^[45][0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
      const nic = await net.attach({ netId: c.netId, machine: '7-1-m', ip: '10.20.2.9', myceliumSeed: '0102030405ab', planetary: true });
      expect(nic.myceliumIp).toBe(`${(info.myceliumPrefix as string).replace('::/64', '')}:ff0f:102:304:5ab`);
      expect(nic.planetaryIp).toMatch(/^[23][0-9a-f]{2}:/);
    });

    it_('removes a network resource with its machines and frees its port', async () => {
      const c = cfg('net1', '10.20.2.0/24', port);
      await net.apply(c);
      await net.attach({ netId: c.netId, machine: '7-1-a', ip: '10.20.2.2' });
      await net.remove(c.netId);
      await net.remove(c.netId);
      expect(await net.list()).toEqual([]);
      expect(await net.listPrivateIps(c.netId)).toEqual([]);
      await net.apply(cfg('net2', '10.30.2.0/24', port));
    });

    it_('refuses a public ip for a machine without a private interface', async () => {
      await expect(net.attachPublicIp({ machine: '7-1-none', ip: '198.18.1.10/16', gateway: '198.18.0.1' })).rejects.toThrow('has no private interface');
    });
  });
}
