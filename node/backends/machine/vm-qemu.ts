/**
 * VM-mode zmachines under qemu (zos-protocol.md §6.3 `vm-kernel` / `vm-image`; machine.md VMs: TCG only here,
 * always under `timeout`, networking through a tap in a project namespace, never `-netdev user`).
 * - vm-kernel: the flist's `/boot/vmlinuz` (+ `/boot/initrd.img`), the private IP passed as `ip=` on the kernel
 *   command line, the entrypoint as `init=`, and the NIC's private routes (`MachineNic.routes`: the network's
 *   ip_range and 100.64.0.0/16, as ZOS routes them via the private gateway) as `tfgrid_routes=<cidr>,<cidr>`; the
 *   local hub's VM flist adds them via eth0's gateway, so replies to other nodes and WireGuard peers leave through
 *   the private NIC even when a public IP holds the default route.
 * - vm-image: `/image.raw` is written onto the first disk (only when that disk has no filesystem signature yet)
 *   and booted by the firmware.
 * Serial console → `console.log`; pause/resume freeze/thaw the qemu process (SIGSTOP/SIGCONT).
 * - public IP (ZOS gives a VM a second NIC on the public network): a second tap, opened by qemu in the same
 *   namespace as the private one, whose address reaches the guest as `tfgrid_pub=<ip>:<gateway>:<mask>` (the local
 *   hub's VM flist sets it on eth1 and routes by default through it). Wiring that tap to the uplink is the network
 *   backend's job (network/linux.ts `attachPublicIp`: a macvlan with the guest's MAC + tc redirects), which records
 *   the tap as the NIC's `public`; the machine backend passes it here as `publicNic`.
 * - node restart: qemu (detached, under `timeout`) outlives the node process; `qemu.pid` is trusted only while that
 *   process's command line is still our `timeout` with this dir's console file, and `runsSpec` compares the running
 *   qemu's command line with the one `start` would use now, so only the same VM is adopted.
 * @module
 */
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { hasFilesystem } from '../storage/linux';
import { isAlive, killPid, runCommand, spawnDaemon } from './host-command';
import type { VmPublicNic } from '../network/network';
import type { MachineSpec, MachineStatus } from './machine';

export type { VmPublicNic };

export interface QemuStartOptions {
  /** A second NIC on the public network (the machine's public IPv4). */
  publicNic?: VmPublicNic;
}

export interface QemuRunner {
  /** Starts the VM; returns the pid of the `timeout` wrapper. */
  start(dir: string, spec: MachineSpec, opts?: QemuStartOptions): Promise<number>;
  status(dir: string, id: string): Promise<MachineStatus>;
  /**
   * True when the qemu running for `dir` (a node restart found it) was started for this very spec: its command line
   * is the one `start` would use now. Only such a VM is adopted; any other is stopped and started again.
   */
  runsSpec(dir: string, spec: MachineSpec, opts?: QemuStartOptions): boolean;
  pause(dir: string): Promise<void>;
  resume(dir: string): Promise<void>;
  stop(dir: string): Promise<void>;
}

/** The one-letter state of /proc/<pid>/stat (R, S, T, Z …), '' when gone. */
function procState(pid: number): string {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const isIpv4Cidr = (s: string) => {
  const m = IPV4_CIDR.exec(s);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
};

function maskOf(bits: number): string {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

/** qemu's argv for a spec (pure, for tests and the runner). */
export function qemuArgs(spec: MachineSpec, opts: { accel: 'tcg' | 'kvm'; console: string; publicNic?: VmPublicNic }): string[] {
  const pub = opts.publicNic;
  const [pubIp, pubBits] = pub ? pub.ip.split('/') : [];
  if (pub && (!/^\d+\.\d+\.\d+\.\d+$/.test(pubIp) || !/^\d+$/.test(pubBits ?? '') || Number(pubBits) > 32)) {
    throw new ZosError(`VM machine '${spec.name}': public ip '${pub.ip}' is not an IPv4 CIDR`);
  }
  const routes = spec.nic?.routes ?? [];
  const badRoute = routes.find((r) => !isIpv4Cidr(r));
  if (badRoute !== undefined) throw new ZosError(`VM machine '${spec.name}': private route '${badRoute}' is not an IPv4 CIDR`);
  const mib = Number(spec.memory / (1024n * 1024n));
  const args = ['-accel', opts.accel, '-m', String(mib), '-smp', String(spec.cpu), '-nographic', '-no-reboot', '-nodefaults', '-serial', `file:${opts.console}`];
  const disks = spec.mounts.filter((m) => m.disk);
  if (spec.flist.mode === 'vm-kernel') {
    if (!spec.flist.kernel) throw new ZosError(`flist ${spec.flist.url} has no /boot/vmlinuz`);
    args.push('-kernel', spec.flist.kernel);
    if (spec.flist.initrd) args.push('-initrd', spec.flist.initrd);
    const append = ['console=ttyS0', 'panic=-1', 'quiet'];
    if (spec.nic) append.push(`ip=${spec.nic.ip}::${spec.nic.gateway}:${maskOf(spec.nic.prefixLength)}:${spec.name}:eth0:off`);
    if (routes.length) append.push(`tfgrid_routes=${routes.join(',')}`);
    if (pub) append.push(`tfgrid_pub=${pubIp}:${pub.gateway}:${maskOf(Number(pubBits))}`);
    if (spec.entrypoint.trim()) append.push(`init=${spec.entrypoint.trim()}`);
    for (const [k, v] of Object.entries(spec.env)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !/\s/.test(v)) append.push(`${k}=${v}`);
    args.push('-append', append.join(' '));
  }
  for (const d of disks) args.push('-drive', `file=${d.source},format=raw,if=virtio`);
  if (spec.nic) {
    args.push('-netdev', `tap,id=n0,ifname=${spec.nic.ifname},script=no,downscript=no`, '-device', `e1000,netdev=n0,mac=${spec.nic.mac}`);
  }
  // The guest sees the private NIC as eth0 and the public one as eth1 (PCI order = argument order).
  if (pub) args.push('-netdev', `tap,id=n1,ifname=${pub.ifname},script=no,downscript=no`, '-device', `e1000,netdev=n1,mac=${pub.mac}`);
  return args;
}

export function createQemuRunner(opts: { binary?: string; accel?: 'tcg' | 'kvm'; maxSeconds?: number; log?: Logger }): QemuRunner {
  const binary = opts.binary ?? 'qemu-system-x86_64';
  const accel = opts.accel ?? 'tcg';
  const maxSeconds = opts.maxSeconds ?? 7 * 24 * 3600;
  const log = opts.log ?? silentLogger;
  const consoleOf = (dir: string) => path.join(dir, 'console.log');
  /**
   * The `timeout` wrapper from `qemu.pid`, only while it is alive and still ours: after a node restart the pid file
   * is older than this process, so its pid is checked against the wrapper's command line (our console file).
   */
  const pidOf = (dir: string): number | undefined => {
    try {
      const pid = Number(readFileSync(path.join(dir, 'qemu.pid'), 'utf8'));
      if (!(pid > 1) || !isAlive(pid)) return undefined;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv[0] === 'timeout' && argv.includes(`file:${consoleOf(dir)}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const qemuPid = (dir: string): number | undefined => {
    // `timeout` forks qemu as its only child
    try {
      const wrapper = pidOf(dir);
      if (!wrapper) return undefined;
      const kids = readFileSync(`/proc/${wrapper}/task/${wrapper}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return kids.length ? Number(kids[0]) : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async start(dir, spec, startOpts = {}) {
      if (spec.nic && spec.nic.kind !== 'tap') throw new ZosError(`VM machine '${spec.name}' needs a tap interface, got ${spec.nic.kind}`);
      if (startOpts.publicNic && !spec.nic) throw new ZosError(`VM machine '${spec.name}': a public interface needs the private one (qemu runs in its namespace)`);
      if (spec.flist.mode === 'vm-image') {
        const first = spec.mounts[0];
        if (!first?.disk) throw new ZosError('at least one mount has to be attached for Vm mode');
        if (!(await hasFilesystem(first.source))) await runCommand('dd', [`if=${spec.flist.image}`, `of=${first.source}`, 'bs=1M', 'conv=notrunc,sparse', 'status=none']);
      }
      const consoleFile = consoleOf(dir);
      const argv = qemuArgs(spec, { accel, console: consoleFile, publicNic: startOpts.publicNic });
      const stderr = openSync(path.join(dir, 'qemu.log'), 'a');
      let pid: number;
      try {
        const ns = spec.nic ? ['nsenter', `--net=/run/netns/${spec.nic.netns}`] : [];
        const [cmd, ...rest] = ['timeout', '--signal=KILL', String(maxSeconds), ...ns, binary, ...argv];
        pid = spawnDaemon(cmd, rest, { logFd: stderr });
      } finally {
        closeSync(stderr);
      }
      await fs.writeFile(path.join(dir, 'qemu.pid'), String(pid));
      await new Promise((r) => setTimeout(r, 300));
      if (!isAlive(pid)) {
        const text = await fs.readFile(path.join(dir, 'qemu.log'), 'utf8').catch(() => '');
        throw new ZosError(`failed to start VM '${spec.name}': ${text.trim().split('\n').slice(-2).join(' | ')}`);
      }
      log.info('vm started', { machine: spec.id, pid });
      return pid;
    },
    async status(dir, id) {
      const wrapper = pidOf(dir);
      if (!wrapper) return { id, state: 'exited', reason: existsSync(path.join(dir, 'qemu.pid')) ? 'vm exited' : 'vm not running' };
      const q = qemuPid(dir);
      return { id, state: q && procState(q) === 'T' ? 'paused' : 'running', pid: q ?? wrapper };
    },
    runsSpec(dir, spec, startOpts = {}) {
      const q = qemuPid(dir);
      if (!q) return false;
      try {
        // nsenter execs qemu in place: the child's command line is `<binary> <argv>`
        const running = readFileSync(`/proc/${q}/cmdline`, 'utf8').split('\0').slice(1, -1);
        const wanted = qemuArgs(spec, { accel, console: consoleOf(dir), publicNic: startOpts.publicNic });
        return running.length === wanted.length && running.every((a, i) => a === wanted[i]);
      } catch {
        return false;
      }
    },
    async pause(dir) {
      const q = qemuPid(dir);
      if (!q) throw new ZosError(`vm in ${dir} is not running`);
      process.kill(q, 'SIGSTOP');
      // the stop is asynchronous: report paused only once the kernel says so
      for (let i = 0; i < 100 && procState(q) !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
    },
    async resume(dir) {
      const q = qemuPid(dir);
      if (q) process.kill(q, 'SIGCONT');
    },
    async stop(dir) {
      const wrapper = pidOf(dir);
      if (!wrapper) return;
      const q = qemuPid(dir);
      if (q) {
        try {
          process.kill(q, 'SIGCONT');
        } catch {
          /* gone */
        }
        await killPid(q, 1000);
      }
      await killPid(wrapper, 1000);
    },
  };
}
