/**
 * MachineBackend: runs zmachines — containers under runc from a flist rootfs, or VMs under qemu — with their cpu
 * and memory limits, env, entrypoint, disks and network interface. Facts: zos-protocol.md §1.5 zmachine, §4
 * (result: id, ip, console_url), §6.2 (mounts, interfaces), §6.3 (modes, `.startup.toml`, hostname = name).
 * Implementations: `linux.ts` (runc + hand-made OCI bundle, overlay on the shared rootfs, cgroup v1 limits;
 * qemu TCG under `timeout` for VM modes), `sim.ts` (state only); `machine.suite.ts` checks both.
 *
 * Lifecycle, by example (the manager resolves the flist, mounts the disks and attaches the network first):
 *
 *     const flist = await flists.resolve(data.flist);
 *     const nic = await network.attach({ netId, machine: wid, ip: '10.20.2.5', kind: flist.mode === 'container' ? 'veth' : 'tap' });
 *     const data1 = await storage.mount('7-42-data');
 *     const st = await machines.run({ id: wid, name: 'web', flist, cpu: 1, memory: 256n << 20n,
 *       entrypoint: '', env: { A: '1' }, mounts: [{ source: data1, target: '/data' }], nic });
 *     // st.state === 'running'; the container's hostname is 'web'; its stdout/stderr go to machines.logPath(wid)
 *     await machines.pause(wid);   // cgroup freezer: state 'paused'
 *     await machines.resume(wid);  // state 'running'
 *     (await machines.status(wid))?.state  // 'exited' | 'oom-killed' once it ends; `reason` says why
 *     await machines.restart(wid); // an ended machine runs again: same rootfs (writes kept), mounts, interface
 *     await machines.remove(wid);  // kills it, deletes bundle, overlay and cgroup; logs too. Idempotent.
 *     await network.detach(wid); await storage.unmount('7-42-data');
 *
 * `run` with an id that is running returns its status (idempotent provision); a different spec is not an update
 * (zmachines are replaced, §3.5). After a node restart, `run` adopts a machine that is still running (boot recovery
 * re-provisions; the machine keeps its process). A container whose memory cgroup records an OOM kill is killed
 * whole and reports `oom-killed`. `restart` is what the engine's supervision calls for a machine that ended on its own
 * (zosbase vm monitor); the backend never restarts anything by itself. With `rootSize`, a container's writable layer
 * lives on a fixed-size ext4 image of that size, so writes beyond it fail with ENOSPC (machine.md: no quotas).
 * @module
 */
import type { ResolvedFlist } from '../flist/flist';
import type { MachineNic } from '../network/network';

export interface MachineMount {
  /** Host directory (a mounted disk) for containers; an image file for VMs (`disk: true`). */
  source: string;
  /** Mountpoint inside the machine (not `/`). */
  target: string;
  /** VM mode: attach `source` as a drive instead of sharing a directory. */
  disk?: boolean;
  readonly?: boolean;
}

export interface MachineSpec {
  /** Workload id (`<twin>-<contract>-<name>`): the key. */
  id: string;
  /** Workload name: the hostname. */
  name: string;
  flist: ResolvedFlist;
  cpu: number;
  /** Bytes. Exceeding it kills the machine (state `oom-killed`). */
  memory: bigint;
  /** Command line (shell words). '' = the flist's `.startup.toml` entry; neither = idle (`sleep`) so the machine stays up. */
  entrypoint: string;
  /** Merged over the `.startup.toml` env. */
  env: Record<string, string>;
  mounts: MachineMount[];
  /** The private interface from NetworkBackend.attach (it may also carry the public IP). */
  nic?: MachineNic;
  /**
   * Bytes of the machine's writable root (zos-protocol.md §6.3 RootSize = max(size, minimum)); undefined = no limit.
   * Containers: the overlay's upper layer is a loop-mounted ext4 image of this size. VMs: unused here.
   */
  rootSize?: bigint;
  /** corex=true replaces the entrypoint with `/corex --ipv6 -d 7 --interface eth0` (§6.3); the flist must ship it. */
  corex?: boolean;
}

export type MachineState = 'running' | 'paused' | 'exited' | 'oom-killed';

export interface MachineStatus {
  id: string;
  state: MachineState;
  /** Main process pid on the host, while running/paused. */
  pid?: number;
  exitCode?: number;
  /** Human text for `exited`/`oom-killed`, e.g. `machine exceeded its memory limit of 268435456 bytes`. */
  reason?: string;
  /** How many times `restart` started it again (in this backend's lifetime). */
  restarts?: number;
}

export interface MachineBackend {
  run(spec: MachineSpec): Promise<MachineStatus>;
  status(id: string): Promise<MachineStatus | undefined>;
  list(): Promise<MachineStatus[]>;
  /**
   * Starts a machine that ended (`exited`/`oom-killed`) again from what it kept: the same rootfs with its writes, the
   * same mounts and interface. A running or paused machine is left as is. Unknown id: ZosError `machine '<id>' not found`.
   */
  restart(id: string): Promise<MachineStatus>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** The last `maxBytes` (default 64 KiB) of the machine's console/stdout+stderr. */
  logs(id: string, maxBytes?: number): Promise<string>;
  /** File the console is appended to (zlogs streams it). */
  logPath(id: string): string;
  /** Stops the machine and deletes everything it owns. Idempotent. */
  remove(id: string): Promise<void>;
  /** Removes every machine (on node shutdown with `down`). */
  close(): Promise<void>;
}
