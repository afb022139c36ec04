/** The OCI spec and qemu argv built for a zmachine (zos-protocol.md §6.3; machine.md runc, qemu). */
import type { ResolvedFlist } from '../flist/flist';
import type { MachineSpec } from './machine';
import { IDLE_ARGS, buildOciSpec, machineArgs, machineEnv } from './oci-spec';
import { qemuArgs } from './vm-qemu';

const flist: ResolvedFlist = { url: 'x', key: 'k', rootfs: '/r', mode: 'container', startup: { entry: '/bin/app --flag "a b"', env: { A: 'flist', B: 'flist' } } };
const spec = (over: Partial<MachineSpec> = {}): MachineSpec => ({ id: '7-1-web', name: 'web', flist, cpu: 2, memory: 512n << 20n, entrypoint: '', env: {}, mounts: [], ...over });

describe('machine command and env', () => {
  it.each([
    ['the workload entrypoint wins', spec({ entrypoint: '/bin/sh -c "echo hi"' }), ['/bin/sh', '-c', 'echo hi']],
    ['the .startup.toml entry is the fallback', spec(), ['/bin/app', '--flag', 'a b']],
    ['without either the machine idles', spec({ flist: { ...flist, startup: undefined } }), IDLE_ARGS],
    ['corex replaces the entrypoint as ZOS does', spec({ corex: true, entrypoint: '/bin/x' }), ['/corex', '--ipv6', '-d', '7', '--interface', 'eth0']],
  ])('%s', (_t, s, args) => {
    expect(machineArgs(s)).toEqual(args);
  });
  it('merges workload env over .startup.toml env over the default PATH, sorted', () => {
    expect(machineEnv(spec({ env: { B: 'workload', C: 'workload' } }))).toEqual(['A=flist', 'B=workload', 'C=workload', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });
});

describe('buildOciSpec', () => {
  const oci = buildOciSpec({ spec: spec({ mounts: [{ source: '/disk', target: '/data' }] }), rootfs: '/m/rootfs', cgroupsPath: '/tfgrid-n1/n1-abc', netnsPath: '/run/netns/n1-m-abc' }) as {
    hostname: string;
    mounts: { destination: string; source: string }[];
    linux: { resources: { memory: { limit: number }; cpu: { quota: number } }; namespaces: { type: string; path?: string }[]; cgroupsPath: string };
  };
  it('sets hostname, limits, cgroup, the machine netns and the disk mount', () => {
    expect(oci.hostname).toBe('web');
    expect(oci.linux.resources.memory.limit).toBe(512 * 1024 * 1024);
    expect(oci.linux.resources.cpu.quota).toBe(200000);
    expect(oci.linux.cgroupsPath).toBe('/tfgrid-n1/n1-abc');
    expect(oci.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/n1-m-abc' });
    expect(oci.mounts).toContainEqual(expect.objectContaining({ destination: '/data', source: '/disk' }));
  });
});

describe('qemuArgs', () => {
  it('boots a vm-kernel flist with ip= from the tap nic, never user networking', () => {
    const args = qemuArgs(
      spec({
        flist: { url: 'x', key: 'k', rootfs: '/r', mode: 'vm-kernel', kernel: '/r/boot/vmlinuz', initrd: '/r/boot/initrd.img' },
        nic: { machine: 'm', netId: 'n', netns: 'ns', ifname: 'tap1', kind: 'tap', ip: '10.20.2.7', prefixLength: 24, gateway: '10.20.2.1', mac: '02:00:00:00:00:01' },
        mounts: [{ source: '/d.img', target: '/data', disk: true }],
      }),
      { accel: 'tcg', console: '/c.log' },
    );
    const joined = args.join(' ');
    expect(joined).toContain('-accel tcg -m 512 -smp 2');
    expect(joined).toContain('-kernel /r/boot/vmlinuz -initrd /r/boot/initrd.img');
    expect(args[args.indexOf('-append') + 1]).toContain('ip=10.20.2.7::10.20.2.1:255.255.255.0:web:eth0:off');
    expect(joined).toContain('tap,id=n0,ifname=tap1,script=no,downscript=no');
    expect(joined).toContain('file=/d.img,format=raw,if=virtio');
    expect(joined).not.toMatch(/netdev user|-netdev user/);
  });
});
