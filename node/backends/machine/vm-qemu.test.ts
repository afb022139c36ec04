/**
 * qemu's argv for a VM (zos-protocol.md §6.3 VM modes; vm-qemu.ts): with a public IP a second tap NIC and `tfgrid_pub=`;
 * always the private NIC's routes (ip_range + 100.64.0.0/16, network.ts `privateRoutes`) as `tfgrid_routes=`.
 */
import type { MachineSpec } from './machine';
import { networkId, privateRoutes } from '../network/network';
import { createSimNetwork } from '../network/sim';
import { qemuArgs, type VmPublicNic } from './vm-qemu';

const spec: MachineSpec = {
  id: '7-1-web',
  name: 'web',
  flist: { url: 'x', key: 'k', rootfs: '/r', mode: 'vm-kernel', kernel: '/r/boot/vmlinuz', initrd: '/r/boot/initrd.img' },
  cpu: 1,
  memory: 256n << 20n,
  entrypoint: '',
  env: {},
  mounts: [],
  nic: {
    machine: '7-1-web',
    netId: 'n',
    netns: 'ns',
    ifname: 'tap1',
    kind: 'tap',
    ip: '10.20.2.7',
    prefixLength: 24,
    gateway: '10.20.2.1',
    mac: '02:00:00:00:00:01',
    routes: privateRoutes('10.20.0.0/16'),
  },
};
const appendOf = (args: string[]) => args[args.indexOf('-append') + 1].split(' ');
const pub: VmPublicNic = { ifname: 'ptap1', mac: '02:00:00:00:00:02', ip: '198.18.1.10/16', gateway: '198.18.0.1' };

describe('qemuArgs with a public NIC', () => {
  it('adds the public tap as the second e1000 (eth1 in the guest) and its address as tfgrid_pub=', () => {
    const args = qemuArgs(spec, { accel: 'tcg', console: '/c.log', publicNic: pub });
    const devices = args.filter((_, i) => args[i - 1] === '-device');
    expect(devices).toEqual(['e1000,netdev=n0,mac=02:00:00:00:00:01', 'e1000,netdev=n1,mac=02:00:00:00:00:02']);
    expect(args).toContain('tap,id=n1,ifname=ptap1,script=no,downscript=no');
    const append = args[args.indexOf('-append') + 1].split(' ');
    expect(append).toContain('ip=10.20.2.7::10.20.2.1:255.255.255.0:web:eth0:off');
    expect(append).toContain('tfgrid_pub=198.18.1.10:198.18.0.1:255.255.0.0');
  });

  it('has one NIC and no tfgrid_pub= without a public IP', () => {
    const args = qemuArgs(spec, { accel: 'tcg', console: '/c.log' });
    expect(args.filter((a) => a === '-netdev')).toHaveLength(1);
    expect(args.join(' ')).not.toContain('tfgrid_pub=');
  });

  it.each([['198.18.1.10'], ['198.18.1.10/33'], ['2001:db8::1/64'], ['']])('refuses public ip %p, naming the machine', (ip) => {
    expect(() => qemuArgs(spec, { accel: 'tcg', console: '/c.log', publicNic: { ...pub, ip } })).toThrow(`VM machine 'web': public ip '${ip}' is not an IPv4 CIDR`);
  });
});

describe('qemuArgs: private routes', () => {
  it.each([
    ['without a public IP', undefined],
    ['with a public IP', pub],
  ])('passes the network range and 100.64.0.0/16 as tfgrid_routes= %s', (_what, publicNic) => {
    const append = appendOf(qemuArgs(spec, { accel: 'tcg', console: '/c.log', publicNic }));
    expect(append.filter((w) => w.startsWith('tfgrid_routes='))).toEqual(['tfgrid_routes=10.20.0.0/16,100.64.0.0/16']);
    // the routes go via the gateway of ip= (eth0), which the guest reads first
    expect(append.indexOf('tfgrid_routes=10.20.0.0/16,100.64.0.0/16')).toBeGreaterThan(append.findIndex((w) => w.startsWith('ip=')));
  });

  it('passes no tfgrid_routes= for a NIC recorded without routes, nor for a machine without a NIC', () => {
    const { routes: _dropped, ...old } = spec.nic as NonNullable<MachineSpec['nic']>;
    expect(qemuArgs({ ...spec, nic: old }, { accel: 'tcg', console: '/c.log' }).join(' ')).not.toContain('tfgrid_routes=');
    expect(qemuArgs({ ...spec, nic: undefined }, { accel: 'tcg', console: '/c.log' }).join(' ')).not.toContain('tfgrid_routes=');
  });

  it('does not put routes on a vm-image boot (its image holds its own network config)', () => {
    const image: MachineSpec = { ...spec, flist: { ...spec.flist, mode: 'vm-image', image: '/r/image.raw' }, mounts: [{ source: '/d.raw', target: '/d', disk: true }] };
    const args = qemuArgs(image, { accel: 'tcg', console: '/c.log' });
    expect(args).not.toContain('-append');
    expect(args).toContain('file=/d.raw,format=raw,if=virtio');
  });

  it.each([['10.20.0.0'], ['10.20.0.0/33'], ['10.300.0.0/16'], ['fd00::/8'], ['10.20.0.0/16 init=/bin/sh']])('refuses route %p, naming the machine', (route) => {
    const nic = { ...(spec.nic as NonNullable<MachineSpec['nic']>), routes: ['100.64.0.0/16', route] };
    expect(() => qemuArgs({ ...spec, nic }, { accel: 'tcg', console: '/c.log' })).toThrow(`VM machine 'web': private route '${route}' is not an IPv4 CIDR`);
  });
});

describe('privateRoutes', () => {
  it('is the network range and the WireGuard range, once each', () => {
    expect(privateRoutes('10.51.0.0/16')).toEqual(['10.51.0.0/16', '100.64.0.0/16']);
    expect(privateRoutes('100.64.0.0/16')).toEqual(['100.64.0.0/16']);
  });

  it('reaches qemu from a NetworkBackend attach: the NR ip_range of a tap NIC, public IP or not (sim backend)', async () => {
    const net = createSimNetwork({ prefix: 'sim' });
    const netId = networkId(7, 'routes');
    await net.apply({ netId, ipRange: '10.77.0.0/16', subnet: '10.77.4.0/24', wgPrivateKey: 'k', wgListenPort: 4000, peers: [] });
    const req = { netId, machine: '7-1-web', ip: '10.77.4.9', kind: 'tap' as const };
    expect((await net.attach(req)).routes).toEqual(['10.77.0.0/16', '100.64.0.0/16']);
    await net.attachPublicIp({ machine: '7-1-web', ip: '198.18.1.10/16', gateway: '198.18.0.1' });
    const nic = await net.attach(req);
    const append = appendOf(qemuArgs({ ...spec, nic }, { accel: 'tcg', console: '/c.log', publicNic: nic.public }));
    expect(append).toEqual(expect.arrayContaining(['ip=10.77.4.9::10.77.4.1:255.255.255.0:web:eth0:off', 'tfgrid_routes=10.77.0.0/16,100.64.0.0/16', 'tfgrid_pub=198.18.1.10:198.18.0.1:255.255.0.0']));
  });
});
