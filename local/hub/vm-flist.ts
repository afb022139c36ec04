/**
 * The local grid's VM flists (zos-protocol.md §6.3 VM modes; machine.md VMs: Debian kernel via `apt-get download`,
 * e1000 is a module so it goes into the initramfs, qemu TCG only).
 *
 * - `buildVmKernelRootfs`: a `vm-kernel` flist (`/boot/vmlinuz` + `/boot/initrd.img`). The initramfs is busybox:
 *   it loads e1000, takes its address from the kernel's `ip=` argument (the node puts the machine's private IP
 *   there), routes each CIDR of `tfgrid_routes=<cidr>,<cidr>` (the network's ip_range and 100.64.0.0/16, vm-qemu.ts)
 *   via eth0's gateway, and with `tfgrid_pub=<ip>:<gateway>:<mask>` (a public IP) also sets eth1 and routes by
 *   default through it — as ZOS configures a VM's NICs, so replies to other nodes' subnets and WireGuard peers still
 *   leave through eth0; then prints `VM-READY <ip>` on the serial console and serves `vm <hostname>` over HTTP on
 *   :80. The hub publishes it as `tf/vm.flist`.
 * - `buildVmImageRootfs`: a `vm-image` flist whose `/image.raw` (ext4 + extlinux, no partition table) boots the
 *   same kernel and initramfs with a fixed address on its boot line. Needs root (loop mount) and extlinux.
 *
 * The kernel comes from Debian's `linux-image-amd64` package. It is downloaded once into `kernelCacheDir()`
 * (`scripts/install-system-deps.sh` fetches it there too) and only `vmlinuz` and `e1000.ko` are kept unpacked.
 *
 * @example
 *   const url = await hub.publishDir(VM_FLIST.repo, VM_FLIST.name, await buildVmKernelRootfs(path.join(tmp, 'vm')));
 *   // a ZMachine with flist `${hub.url}/tf/vm.flist` boots under qemu and answers on its private IP
 * @module
 */
import { randomBytes } from 'crypto';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError, ZosError } from '../../protocol/common/errors';
import type { Logger } from '../../protocol/common/log';
import { silentLogger } from '../../protocol/common/log';
import { runCommand } from '../../node/backends/machine/host-command';
import { BUSYBOX } from './base-flist';

/**
 * Where the hub publishes the kernel-mode VM flist. `version` names what `buildVmKernelRootfs` puts in it: bump it
 * when the content changes, so hubs that kept an older build rebuild it on their next start.
 */
export const VM_FLIST = { repo: 'tf', name: 'vm', version: '3' } as const;

/** Debian's meta package; its `Depends:` names the versioned kernel package. */
export const KERNEL_META_PACKAGE = 'linux-image-amd64';

const FIX = 'run `sudo ./scripts/install-system-deps.sh` (it downloads the kernel into that cache), or `apt-get update` and retry';

/**
 * The initramfs' /init. Busybox `ip=` parsing: `<addr>::<gateway>:<mask>:<hostname>:<dev>:off` (what vm-qemu.ts
 * passes); `tfgrid_routes=` is comma-separated CIDRs, each routed via that gateway on eth0 before the public NIC
 * takes the default route.
 */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /e1000.ko
for w in $(cat /proc/cmdline); do
  case "$w" in
    ip=*) spec="\${w#ip=}" ;;
    tfgrid_pub=*) pub="\${w#tfgrid_pub=}" ;;
    tfgrid_routes=*) routes="\${w#tfgrid_routes=}" ;;
  esac
done
IFS=: read addr _ gw mask host dev _ <<EOF2
$spec
EOF2
hostname "$host"
ifconfig lo up
ifconfig eth0 "$addr" netmask "$mask" up
route add default gw "$gw"
for net in $(echo "$routes" | tr , ' '); do
  ip route add "$net" via "$gw" dev eth0 || echo "VM-ROUTE-FAILED $net"
done
if [ -n "$pub" ]; then
  IFS=: read paddr pgw pmask <<EOF3
$pub
EOF3
  ifconfig eth1 "$paddr" netmask "$pmask" up
  route del default
  route add default gw "$pgw" dev eth1
fi
echo "vm $host" > /www/index.html
httpd -p 80 -h /www
echo VM-READY "$addr"
while :; do sleep 3600; done
`;

/** A command's error text on one line (stderr of tar/apt spans several). */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, ' | ');
}

/** The kernel cache: `$TFGRID_KERNEL_CACHE`, else `$XDG_CACHE_HOME/tfgrid/kernel`, else `~/.cache/tfgrid/kernel`. */
export function kernelCacheDir(): string {
  if (process.env.TFGRID_KERNEL_CACHE) return process.env.TFGRID_KERNEL_CACHE;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tfgrid', 'kernel');
}

/** A guest kernel ready to boot under qemu: the bzImage and the e1000 NIC module (uncompressed). */
export interface GuestKernel {
  /** Debian package name, e.g. `linux-image-6.1.0-56-amd64`. */
  package: string;
  vmlinuz: string;
  e1000: string;
}

export interface GuestKernelOptions {
  /** Default `kernelCacheDir()`. */
  cacheDir?: string;
  log?: Logger;
}

const DEB = /^(linux-image-[0-9][^_]*-amd64)_[^/]*\.deb$/;

async function unpackedKernel(cache: string): Promise<GuestKernel | undefined> {
  const dirs = (await fs.readdir(cache).catch(() => [] as string[])).filter((d) => /^linux-image-[0-9].*-amd64$/.test(d));
  // newest first: 6.1.0-10 before 6.1.0-9
  for (const d of dirs.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))) {
    const k = { package: d, vmlinuz: path.join(cache, d, 'vmlinuz'), e1000: path.join(cache, d, 'e1000.ko') };
    if (existsSync(path.join(cache, d, '.ok')) && existsSync(k.vmlinuz) && existsSync(k.e1000)) return k;
  }
  return undefined;
}

/** The versioned kernel package `linux-image-amd64` depends on (needs apt's package lists). */
async function kernelPackageName(cache: string): Promise<string> {
  let text: string;
  try {
    text = (await runCommand('apt-cache', ['depends', KERNEL_META_PACKAGE], { timeoutMs: 30_000 })).stdout;
  } catch (err) {
    throw new InputError(`VM flist: cannot look up the Debian kernel package (${KERNEL_META_PACKAGE}) for ${cache}: ${oneLine(err)}; ${FIX}`, { fix: FIX }, { cause: err });
  }
  const pkg = /Depends: (linux-image-[0-9][^\s]*-amd64)/.exec(text)?.[1];
  if (!pkg) throw new InputError(`VM flist: apt knows no kernel package behind ${KERNEL_META_PACKAGE} (apt-cache said: ${text.trim() || 'nothing'}); ${FIX}`, { fix: FIX });
  return pkg;
}

/** The cached `.deb`, downloaded with `apt-get download` when there is none. */
async function kernelDeb(cache: string, log: Logger): Promise<string> {
  const have = (await fs.readdir(cache)).filter((f) => DEB.test(f)).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  if (have.length) return path.join(cache, have[0]);
  const pkg = await kernelPackageName(cache);
  // Downloaded into a private dir, then renamed: parallel builders never see half a file.
  const tmp = path.join(cache, `.download-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp, { recursive: true });
  try {
    log.info('downloading the guest kernel', { package: pkg, cache });
    // runCommand has no cwd option: `cd` in a shell, paths passed as arguments
    await runCommand('sh', ['-c', 'cd "$1" && apt-get download -q "$2"', 'sh', tmp, pkg], { timeoutMs: 300_000 });
    const deb = (await fs.readdir(tmp)).find((f) => DEB.test(f));
    if (!deb) throw new ZosError(`apt-get download ${pkg} left no .deb in ${tmp}`);
    await fs.rename(path.join(tmp, deb), path.join(cache, deb));
    return path.join(cache, deb);
  } catch (err) {
    throw new InputError(`VM flist: cannot download the Debian kernel package ${pkg} into ${cache}: ${oneLine(err)}; ${FIX}`, { fix: FIX }, { cause: err });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The guest kernel from the cache; on first use downloads the Debian kernel package and unpacks only `vmlinuz`
 * and `e1000.ko` from it. Safe to call from parallel processes (each unpacks privately, then renames).
 * Throws an InputError naming the cache and the fix when the package cannot be fetched.
 */
export async function guestKernel(opts: GuestKernelOptions = {}): Promise<GuestKernel> {
  const cache = opts.cacheDir ?? kernelCacheDir();
  const log = opts.log ?? silentLogger;
  const ready = await unpackedKernel(cache);
  if (ready) return ready;
  await fs.mkdir(cache, { recursive: true });
  const deb = await kernelDeb(cache, log);
  const pkg = (DEB.exec(path.basename(deb)) as RegExpExecArray)[1];
  const tmp = path.join(cache, `.unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp, { recursive: true });
  try {
    // Only the two files we need: the full package unpacks to ~400 MB of modules.
    await runCommand('sh', ['-c', 'dpkg --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./boot/vmlinuz-*" "*/e1000.ko*"', 'sh', deb, tmp], { timeoutMs: 120_000 }).catch((err: unknown) => {
      throw new InputError(`VM flist: ${deb} is not a usable kernel package (${oneLine(err)}); delete it and retry`, { fix: `rm ${deb}` }, { cause: err });
    });
    const out = path.join(tmp, 'kernel');
    await fs.mkdir(out);
    const vmlinuz = (await fs.readdir(path.join(tmp, 'boot'))).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new InputError(`VM flist: ${deb} holds no /boot/vmlinuz-*; delete it and retry`, { fix: `rm ${deb}` });
    await fs.rename(path.join(tmp, 'boot', vmlinuz), path.join(out, 'vmlinuz'));
    const found = (await runCommand('find', [tmp, '-name', 'e1000.ko*'])).stdout.trim().split('\n').filter(Boolean);
    const mod = found.find((f) => /\/e1000\.ko(\.xz|\.zst|\.gz)?$/.test(f));
    if (!mod) throw new InputError(`VM flist: ${deb} has no e1000 module; the guest would have no network`, { fix: `rm ${deb}` });
    // Newer Debian kernels compress modules; busybox insmod wants a plain .ko.
    const unpack: Record<string, string> = { '.xz': 'xz -dc', '.zst': 'zstd -dc', '.gz': 'gzip -dc' };
    const ext = path.extname(mod);
    if (ext === '.ko') await fs.rename(mod, path.join(out, 'e1000.ko'));
    else await runCommand('sh', ['-c', `${unpack[ext]} "$1" > "$2"`, 'sh', mod, path.join(out, 'e1000.ko')]);
    await fs.writeFile(path.join(out, '.ok'), `${pkg}\n`);
    await fs.rename(out, path.join(cache, pkg)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another process finished first
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const done = await unpackedKernel(cache);
  if (!done) throw new ZosError(`VM flist: the kernel unpacked into ${path.join(cache, pkg)} is incomplete; delete that directory and retry`);
  log.info('guest kernel ready', { package: done.package });
  return done;
}

/** Builds the busybox initramfs (gzip'd newc cpio) for `kernel` into `file`. */
async function buildInitramfs(kernel: GuestKernel, file: string, busybox: string): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-initrd-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'www', 'tmp']) await fs.mkdir(path.join(root, d), { recursive: true });
    await fs.copyFile(busybox, path.join(root, 'bin/busybox'));
    await fs.chmod(path.join(root, 'bin/busybox'), 0o755);
    await fs.copyFile(kernel.e1000, path.join(root, 'e1000.ko'));
    await fs.writeFile(path.join(root, 'init'), INIT, { mode: 0o755 });
    await runCommand('sh', ['-c', 'cd "$1" && find . | "$2" cpio -o -H newc 2>/dev/null | gzip -1 > "$3"', 'sh', root, busybox, file]);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/**
 * Builds the `vm-kernel` rootfs into `dest` (`boot/vmlinuz`, `boot/initrd.img`) and returns `dest`.
 * Needs busybox-static and, on first use, the kernel package (see `guestKernel`).
 */
export async function buildVmKernelRootfs(dest: string, opts: GuestKernelOptions & { busybox?: string } = {}): Promise<string> {
  const busybox = opts.busybox ?? BUSYBOX;
  if (!existsSync(busybox)) throw new InputError(`VM flist needs busybox-static at ${busybox}`, { fix: 'apt-get install busybox-static' });
  const kernel = await guestKernel(opts);
  await fs.mkdir(path.join(dest, 'boot'), { recursive: true });
  await fs.copyFile(kernel.vmlinuz, path.join(dest, 'boot/vmlinuz'));
  await buildInitramfs(kernel, path.join(dest, 'boot/initrd.img'), busybox);
  return dest;
}

/**
 * Builds a `vm-image` rootfs into `dest`: `image.raw` (64 MiB ext4 without a partition table, extlinux) that
 * boots the kernel and initramfs with `ip=<ip>::<gateway>:<mask>:img:eth0:off`. Needs root (loop mount) and extlinux.
 */
export async function buildVmImageRootfs(dest: string, net: { ip: string; gateway: string; mask: string }, opts: GuestKernelOptions & { busybox?: string } = {}): Promise<string> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmimg-'));
  const mnt = path.join(work, 'mnt');
  try {
    const kernelRoot = await buildVmKernelRootfs(path.join(work, 'kernel'), opts);
    await fs.mkdir(dest, { recursive: true });
    await fs.mkdir(mnt);
    const image = path.join(dest, 'image.raw');
    await runCommand('truncate', ['-s', '64M', image]);
    // extlinux 6.04 reads neither 64bit nor metadata_csum ext4
    await runCommand('mkfs.ext4', ['-q', '-F', '-O', '^64bit,^metadata_csum', image]);
    await runCommand('mount', ['-o', 'loop', image, mnt]);
    try {
      await fs.mkdir(path.join(mnt, 'boot'), { recursive: true });
      await fs.copyFile(path.join(kernelRoot, 'boot/vmlinuz'), path.join(mnt, 'boot/vmlinuz'));
      await fs.copyFile(path.join(kernelRoot, 'boot/initrd.img'), path.join(mnt, 'boot/initrd.img'));
      await fs.writeFile(
        path.join(mnt, 'boot/extlinux.conf'),
        `DEFAULT linux\nTIMEOUT 1\nLABEL linux\n  KERNEL /boot/vmlinuz\n  APPEND initrd=/boot/initrd.img console=ttyS0 panic=-1 quiet ip=${net.ip}::${net.gateway}:${net.mask}:img:eth0:off\n`,
      );
      await runCommand('extlinux', ['--install', path.join(mnt, 'boot')]);
    } finally {
      await runCommand('umount', [mnt]);
    }
    return dest;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
