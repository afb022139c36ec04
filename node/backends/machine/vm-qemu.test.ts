/** qemu's argv for a VM with a public IP (zos-protocol.md §6.3 VM modes; vm-qemu.ts): a second tap NIC and `tfgrid_pub=`. */
import type { MachineSpec } from './machine';
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
  nic: { machine: '7-1-web', netId: 'n', netns: 'ns', ifname: 'tap1', kind: 'tap', ip: '10.20.2.7', prefixLength: 24, gateway: '10.20.2.1', mac: '02:00:00:00:00:01' },
};
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
