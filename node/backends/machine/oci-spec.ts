/**
 * The hand-made OCI runtime spec (config.json) for a container-mode zmachine (zos-protocol.md §6.3: hostname =
 * workload name, entrypoint or `.startup.toml`, env merged over it; machine.md: runc 1.1.5, cgroup v1 limits,
 * `nofile` within the 20000 hard limit). Pure: builds an object, no I/O.
 * @module
 */
import { splitWords } from '../flist/docker-image';
import type { MachineSpec } from './machine';

/** Docker's default capability set (NET_RAW included, so `ping` works inside). */
export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Used when neither the workload nor the flist names a command: keep the machine up. */
export const IDLE_ARGS = ['/bin/sh', '-c', 'exec sleep 2147483647'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What ZOS runs instead of the entrypoint when `corex` is true (§6.3). */
export const COREX_ARGS = ['/corex', '--ipv6', '-d', '7', '--interface', 'eth0'];

/** argv: corex when asked, else the workload's entrypoint, else the flist's `.startup.toml` entry, else IDLE_ARGS. */
export function machineArgs(spec: Pick<MachineSpec, 'entrypoint' | 'flist' | 'corex'>): string[] {
  if (spec.corex) return COREX_ARGS;
  const line = spec.entrypoint.trim() || spec.flist.startup?.entry?.trim() || '';
  const args = line ? splitWords(line) : [];
  return args.length ? args : IDLE_ARGS;
}

/** Env as `K=V`, sorted: PATH default < `.startup.toml` env < workload env. */
export function machineEnv(spec: Pick<MachineSpec, 'env' | 'flist'>): string[] {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...(spec.flist.startup?.env ?? {}), ...spec.env };
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
}

export interface OciSpecInput {
  spec: MachineSpec;
  /** Merged rootfs (overlay) directory. */
  rootfs: string;
  /** `/<parent>/<id>`: created under every v1 controller by runc. */
  cgroupsPath: string;
  /** `/run/netns/<name>` or undefined for an isolated, empty network namespace. */
  netnsPath?: string;
}

export function buildOciSpec(input: OciSpecInput): Record<string, unknown> {
  const { spec } = input;
  const memory = Number(spec.memory);
  const caps = DEFAULT_CAPS;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: machineArgs(spec),
      env: machineEnv(spec),
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: spec.name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...spec.mounts.map((m) => ({ destination: m.target, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw'] })),
    ],
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        // swap = memory: the limit is the whole footprint
        memory: { limit: memory, swap: memory },
        cpu: { quota: Math.max(1, spec.cpu) * 100000, period: 100000 },
        pids: { limit: 4096 },
      },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, input.netnsPath ? { type: 'network', path: input.netnsPath } : { type: 'network' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
