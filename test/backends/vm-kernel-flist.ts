/**
 * A small `vm-kernel` flist for the VM test (zos-protocol.md §6.3: `/boot/vmlinuz` + `/boot/initrd.img`;
 * machine.md VMs: Debian kernel via `apt-get download`, e1000 is a module so it goes into the initramfs). The
 * initramfs is busybox: it loads e1000, takes its address from the kernel's `ip=` argument, prints VM-READY and
 * serves a page on :80. The kernel package is cached under the OS temp dir between runs. `buildVmImageFlist`
 * puts the same kernel and initramfs in a bootable `image.raw` (ext4 + extlinux, no partition table) whose boot
 * line carries a fixed address, for the `vm-image` mode.
 * @module
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /e1000.ko
for w in $(cat /proc/cmdline); do
  case "$w" in ip=*) spec="\${w#ip=}" ;; esac
done
IFS=: read addr _ gw mask host dev _ <<EOF2
$spec
EOF2
hostname "$host"
ifconfig lo up
ifconfig eth0 "$addr" netmask "$mask" up
route add default gw "$gw"
echo "vm $host" > /www/index.html
httpd -p 80 -h /www
echo VM-READY "$addr"
while :; do sleep 3600; done
`;

/** Fetches (once) and unpacks the Debian kernel; returns its root (`boot/`, `lib/modules/`). */
async function debianKernel(): Promise<string> {
  const cache = path.join(os.tmpdir(), 'tfgrid-test-kernel');
  const done = path.join(cache, 'unpacked');
  if (existsSync(path.join(done, '.ok'))) return done;
  await fs.mkdir(cache, { recursive: true });
  const dep = execFileSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
  const pkg = /Depends: (linux-image-[0-9][^\s]*-amd64)/.exec(dep)?.[1];
  if (!pkg) throw new Error(`cannot find the Debian kernel package in: ${dep}`);
  const debs = (await fs.readdir(cache)).filter((f) => f.startsWith(pkg) && f.endsWith('.deb'));
  if (!debs.length) execFileSync('apt-get', ['download', pkg], { cwd: cache, stdio: 'pipe' });
  const deb = (await fs.readdir(cache)).find((f) => f.startsWith(pkg) && f.endsWith('.deb')) as string;
  await fs.rm(done, { recursive: true, force: true });
  execFileSync('dpkg', ['-x', path.join(cache, deb), done]);
  await fs.writeFile(path.join(done, '.ok'), pkg);
  return done;
}

/** Builds the flist directory under `dir` and returns it. */
export async function buildVmKernelFlist(dir: string): Promise<string> {
  const kernel = await debianKernel();
  const root = path.join(dir, 'vm-flist');
  const initrd = path.join(dir, 'initrd-root');
  await fs.mkdir(path.join(root, 'boot'), { recursive: true });
  for (const d of ['bin', 'proc', 'sys', 'dev', 'www', 'tmp']) await fs.mkdir(path.join(initrd, d), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(initrd, 'bin/busybox'));
  await fs.chmod(path.join(initrd, 'bin/busybox'), 0o755);
  const vmlinuz = (await fs.readdir(path.join(kernel, 'boot'))).find((f) => f.startsWith('vmlinuz-')) as string;
  const e1000 = execFileSync('find', [path.join(kernel, 'lib/modules'), '-name', 'e1000.ko*'], { encoding: 'utf8' }).trim().split('\n')[0];
  if (!e1000.endsWith('.ko')) throw new Error(`e1000 module is compressed (${e1000}); teach the fixture to unpack it`);
  await fs.copyFile(e1000, path.join(initrd, 'e1000.ko'));
  await fs.writeFile(path.join(initrd, 'init'), INIT, { mode: 0o755 });
  await fs.copyFile(path.join(kernel, 'boot', vmlinuz), path.join(root, 'boot/vmlinuz'));
  execFileSync('sh', ['-c', `cd "${initrd}" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "${path.join(root, 'boot/initrd.img')}"`]);
  return root;
}

/** A `vm-image` flist: `image.raw` boots (BIOS → extlinux) the kernel + initramfs with `ip=<ip>::<gw>:<mask>:img:eth0:off`. */
export async function buildVmImageFlist(dir: string, net: { ip: string; gateway: string; mask: string }): Promise<string> {
  const kernelFlist = await buildVmKernelFlist(dir);
  const root = path.join(dir, 'img-flist');
  await fs.mkdir(root, { recursive: true });
  const image = path.join(root, 'image.raw');
  const mnt = path.join(dir, 'img-mnt');
  await fs.mkdir(mnt, { recursive: true });
  execFileSync('truncate', ['-s', '64M', image]);
  // extlinux 6.04 reads neither 64bit nor metadata_csum ext4
  execFileSync('mkfs.ext4', ['-q', '-F', '-O', '^64bit,^metadata_csum', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  try {
    await fs.mkdir(path.join(mnt, 'boot'), { recursive: true });
    await fs.copyFile(path.join(kernelFlist, 'boot/vmlinuz'), path.join(mnt, 'boot/vmlinuz'));
    await fs.copyFile(path.join(kernelFlist, 'boot/initrd.img'), path.join(mnt, 'boot/initrd.img'));
    await fs.writeFile(
      path.join(mnt, 'boot/extlinux.conf'),
      `DEFAULT linux\nTIMEOUT 1\nLABEL linux\n  KERNEL /boot/vmlinuz\n  APPEND initrd=/boot/initrd.img console=ttyS0 panic=-1 quiet ip=${net.ip}::${net.gateway}:${net.mask}:img:eth0:off\n`,
    );
    execFileSync('extlinux', ['--install', path.join(mnt, 'boot')], { stdio: 'pipe' });
  } finally {
    execFileSync('umount', [mnt]);
  }
  return root;
}
