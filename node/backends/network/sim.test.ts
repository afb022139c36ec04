/** The network behaviour suite on the state-only backend, plus its public-IP bookkeeping (zos-protocol.md §6.4, §1.5 ip). */
import { createSimNetwork } from './sim';
import { describeNetworkBackend } from './network.suite';
import { networkId } from './network';

describeNetworkBackend('sim', async () => ({ backend: createSimNetwork({ prefix: 'sim' }), teardown: async () => {} }));

describe('sim network: public IPs (state only)', () => {
  const config = { netId: networkId(7, 'pub'), ipRange: '10.20.0.0/16', subnet: '10.20.2.0/24', wgPrivateKey: 'k', wgListenPort: 4000, peers: [] };

  it('records a public IP on an attached container and forgets it on detach', async () => {
    const net = createSimNetwork({ prefix: 'sim' });
    await net.apply(config);
    await net.attach({ netId: config.netId, machine: '7-1-vm', ip: '10.20.2.2' });
    await net.attachPublicIp({ machine: '7-1-vm', ip: '185.9.1.10/24', gateway: '185.9.1.1' });
    await net.attachPublicIp({ machine: '7-1-vm', ip: '185.9.1.10/24', gateway: '185.9.1.1' }); // idempotent
    expect(net.publicIpOf('7-1-vm')).toEqual({ machine: '7-1-vm', ip: '185.9.1.10/24', gateway: '185.9.1.1' });
    await net.detach('7-1-vm');
    expect(net.publicIpOf('7-1-vm')).toBeUndefined();
  });

  it('gives a VM-mode machine (tap) its public NIC and refuses IPv6 alone', async () => {
    const net = createSimNetwork({ prefix: 'sim' });
    await net.apply(config);
    await net.attach({ netId: config.netId, machine: '7-1-vm', ip: '10.20.2.2', kind: 'tap' });
    await expect(net.attachPublicIp({ machine: '7-1-vm', ip: '', ip6: '2a02::5/64', gateway: '', gateway6: '2a02::1' })).rejects.toThrow(
      'machine 7-1-vm: a VM-mode machine takes a public IPv4 on this node, not IPv6 alone',
    );
    await net.attachPublicIp({ machine: '7-1-vm', ip: '185.9.1.10/24', gateway: '185.9.1.1' });
    const nic = await net.attach({ netId: config.netId, machine: '7-1-vm', ip: '10.20.2.2', kind: 'tap' });
    expect(nic.public).toMatchObject({ ip: '185.9.1.10/24', gateway: '185.9.1.1' });
    expect(nic.public?.mac).not.toBe(nic.mac);
  });

  it.each([
    ['a node without a public side', { publicIps: false }, '185.9.1.10/24', 'public ipv4 is requested, but not supported on this node'],
    ['an address that is not a v4 CIDR', {}, '185.9.1.10', "invalid public ip '185.9.1.10': expected an IPv4 CIDR such as 185.1.2.3/24"],
    ['an address another machine holds', {}, '185.9.1.11/24', 'public ip 185.9.1.11/24 is already used by machine 7-1-other'],
  ] as [string, { publicIps?: boolean }, string, string][])('refuses %s', async (_what, opts, ip, text) => {
    const net = createSimNetwork({ prefix: 'sim', ...opts });
    await net.apply(config);
    await net.attach({ netId: config.netId, machine: '7-1-vm', ip: '10.20.2.2' });
    await net.attach({ netId: config.netId, machine: '7-1-other', ip: '10.20.2.3' });
    if (opts.publicIps !== false) await net.attachPublicIp({ machine: '7-1-other', ip: '185.9.1.11/24', gateway: '185.9.1.1' });
    await expect(net.attachPublicIp({ machine: '7-1-vm', ip, gateway: '185.9.1.1' })).rejects.toThrow(text);
    expect(net.publicIpOf('7-1-vm')).toBeUndefined();
  });
});
