/**
 * The VM flist builder (zos-protocol.md §6.3 `/boot/vmlinuz` mode; machine.md VMs): the kernel cache, its error
 * messages, and a `vm-kernel` flist published by the hub that the node's flist backend resolves as such.
 * Booting it is `test/backends/vm.test.ts` and `test/e2e/zmachine-vm.test.ts`.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeWithTools } from '../../test/helpers/require-tools';
import { createLinuxFlists } from '../../node/backends/flist/linux';
import { createHub } from './hub';
import { buildVmKernelRootfs, guestKernel, kernelCacheDir, VM_FLIST } from './vm-flist';

jest.setTimeout(120_000);

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmflist-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A cache holding an unpacked kernel entry, as `guestKernel` leaves it. */
async function fakeUnpacked(cache: string, pkg: string, ok = true): Promise<void> {
  await fs.mkdir(path.join(cache, pkg), { recursive: true });
  await fs.writeFile(path.join(cache, pkg, 'vmlinuz'), 'k');
  await fs.writeFile(path.join(cache, pkg, 'e1000.ko'), 'm');
  if (ok) await fs.writeFile(path.join(cache, pkg, '.ok'), `${pkg}\n`);
}

describe('guest kernel cache', () => {
  it('defaults to $TFGRID_KERNEL_CACHE, else the XDG cache', () => {
    const saved = { c: process.env.TFGRID_KERNEL_CACHE, x: process.env.XDG_CACHE_HOME };
    try {
      process.env.TFGRID_KERNEL_CACHE = '/somewhere/k';
      expect(kernelCacheDir()).toBe('/somewhere/k');
      delete process.env.TFGRID_KERNEL_CACHE;
      process.env.XDG_CACHE_HOME = '/xdg';
      expect(kernelCacheDir()).toBe('/xdg/tfgrid/kernel');
    } finally {
      for (const [k, v] of [
        ['TFGRID_KERNEL_CACHE', saved.c],
        ['XDG_CACHE_HOME', saved.x],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('uses an unpacked kernel from the cache (the newest complete one) without downloading', async () => {
    await fakeUnpacked(dir, 'linux-image-6.1.0-9-amd64');
    await fakeUnpacked(dir, 'linux-image-6.1.0-10-amd64');
    await fakeUnpacked(dir, 'linux-image-6.9.0-1-amd64', false); // interrupted unpack: no .ok
    const k = await guestKernel({ cacheDir: dir });
    expect(k.package).toBe('linux-image-6.1.0-10-amd64'); // versions compare numerically: 10 > 9
    expect(k.vmlinuz).toBe(path.join(dir, 'linux-image-6.1.0-10-amd64', 'vmlinuz'));
  });

  it('names the package and the fix when a cached .deb is broken', async () => {
    await fs.writeFile(path.join(dir, 'linux-image-6.1.0-9-amd64_6.1.1-1_amd64.deb'), 'not a deb');
    await expect(guestKernel({ cacheDir: dir })).rejects.toThrow(/VM flist: .*linux-image-6\.1\.0-9-amd64_6\.1\.1-1_amd64\.deb is not a usable kernel package .*delete it and retry/);
  });

  it('says how to fix it when apt cannot name or fetch the kernel package', async () => {
    // apt-cache without package lists fails like this on a fresh machine
    const bin = path.join(dir, 'bin');
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, 'apt-cache'), '#!/bin/sh\necho "E: No packages found" >&2\nexit 100\n', { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    try {
      const err = await guestKernel({ cacheDir: path.join(dir, 'cache') }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^VM flist: cannot look up the Debian kernel package \(linux-image-amd64\) for .*cache: .*No packages found/);
      expect((err as Error).message).toContain('scripts/install-system-deps.sh');
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describeWithTools(['apt-get', 'apt-cache', 'dpkg', 'tar', 'gzip', 'busybox'])('vm-kernel flist', () => {
  it('holds the Debian kernel and a busybox initramfs with e1000 and an init that reads ip=', async () => {
    const root = await buildVmKernelRootfs(path.join(dir, 'vm'));
    const kernel = await fs.readFile(path.join(root, 'boot/vmlinuz'));
    expect(kernel.subarray(0x202, 0x206).toString('latin1')).toBe('HdrS'); // x86 boot protocol header of a bzImage
    const listing = execFileSync('sh', ['-c', `gzip -dc "${path.join(root, 'boot/initrd.img')}" | busybox cpio -t 2>/dev/null`], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['init', 'e1000.ko', 'bin/busybox', 'www']));
    const init = execFileSync('sh', ['-c', `gzip -dc "${path.join(root, 'boot/initrd.img')}" | busybox cpio -i --to-stdout init 2>/dev/null`], { encoding: 'utf8' });
    expect(init).toContain('insmod /e1000.ko');
    expect(init).toContain('ip=*');
    expect(init).toContain('tfgrid_pub=*'); // a public IP on eth1 (vm-qemu.ts publicNic)
    // private routes (ip_range, 100.64/16) via eth0's gateway, added before the public NIC takes the default route
    expect(init).toContain('tfgrid_routes=*');
    expect(init).toContain('ip route add "$net" via "$gw" dev eth0');
    expect(init.indexOf('ip route add "$net"')).toBeLessThan(init.indexOf('route del default'));
    // the module matches the kernel: its vermagic names the cached package's release
    const k = await guestKernel();
    const release = k.package.replace(/^linux-image-/, '');
    expect((await fs.readFile(k.e1000)).includes(`vermagic=${release} `)).toBe(true);
  });

  it('is published by the hub as tf/vm.flist and resolves in vm-kernel mode on a node', async () => {
    const hub = await createHub({ dir: path.join(dir, 'hub') });
    try {
      const url = await hub.publishDir(VM_FLIST.repo, VM_FLIST.name, await buildVmKernelRootfs(path.join(dir, 'vm')));
      expect(url).toBe(`${hub.url}/tf/vm.flist`);
      const f = await createLinuxFlists({ dir: path.join(dir, 'cache') }).resolve(url);
      expect(f.mode).toBe('vm-kernel');
      expect(f.kernel).toMatch(/boot\/vmlinuz$/);
      expect(f.initrd).toMatch(/boot\/initrd\.img$/);
    } finally {
      await hub.close();
    }
  });
});
