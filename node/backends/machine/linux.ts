/**
 * MachineBackend on Linux (zos-protocol.md §6.3; machine.md runc + cgroup v1): a container-mode zmachine is a runc
 * container from a hand-made OCI bundle. Its root is an overlay (private upper) on the flist's shared read-only
 * rootfs; it joins the machine's network namespace from NetworkBackend.attach; cgroup v1 limits cpu and memory;
 * stdout/stderr append to `console.log` (zlogs, console). VM modes go to qemu (`vm-qemu.ts`), with the NIC's `public`
 * tap (NetworkBackend.attachPublicIp) as the VM's second NIC.
 *
 * Per machine, under `<dir>/<hash>/`: `config.json` (the bundle), `upper/`, `work/`, `rootfs/` (overlay mount),
 * `console.log`, `runner.pid` (the `sh` that waits for `runc run --keep`), `exit` (its exit code).
 * With a `rootSize` (zos-protocol.md §6.3 RootSize), `upper/` and `work/` live instead on a fixed-size ext4 image made
 * and loop-mounted by a private LinuxStorage under `<dir>/rootfs/` (`<hash>.img`, `mnt/<hash>`): machine.md has no
 * ext4/xfs quotas, so the image size is the limit and a write beyond it fails with ENOSPC. Node capacity is not
 * touched (SRU already counts RootSize). `remove` unmounts and deletes the image with the rest.
 * `restart` deletes the stopped runc container and runs the same bundle again (overlay, upper, mounts, netns kept);
 * so does `run` after a node restart for a container that ended meanwhile, when its bundle and root are still there.
 * A VM survives a node restart the same way: `run` adopts a qemu that still runs this spec (vm-qemu.ts `runsSpec`),
 * stops one that runs another, and starts one that ended meanwhile afresh; `remove` stops a VM's qemu even when
 * nothing ran it since the restart (its dir holds `qemu.pid`).
 * runc state lives in `<dir>/runc`; cgroups under `/sys/fs/cgroup/<controller>/tfgrid-<prefix>/`.
 * @module
 */
import { createHash } from 'crypto';
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { InputError, ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { createLinuxStorage, mountsUnder } from '../storage/linux';
import { isAlive, killPid, runCommand, sleep, spawnDaemon, tryCommand } from './host-command';
import type { MachineBackend, MachineSpec, MachineStatus } from './machine';
import { consolePort, startConsole, stopConsole } from './console';
import { buildOciSpec } from './oci-spec';
import { createQemuRunner } from './vm-qemu';
import type { QemuRunner } from './vm-qemu';

export interface LinuxMachineOptions {
  /** Node prefix (same as the network's): container ids and the cgroup parent carry it. */
  prefix: string;
  dir: string;
  log?: Logger;
  /** For VM modes; default `qemu-system-x86_64` under `timeout`. */
  qemu?: { binary?: string; accel?: 'tcg' | 'kvm'; maxSeconds?: number };
}

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'];

const runcStateSchema = z.object({ status: z.string(), pid: z.number().optional() });

/** Container id and cgroup names for a node prefix. */
export function machineNames(prefix: string) {
  const h = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 12);
  return {
    container: (id: string) => `${prefix}-${h(id)}`,
    dirName: (id: string) => h(id),
    cgroupParent: `tfgrid-${prefix}`,
  };
}

interface MachineRecord {
  id: string;
  spec: MachineSpec;
  kind: 'container' | 'vm';
  runnerPid: number;
  restarts: number;
}

export function createLinuxMachines(opts: LinuxMachineOptions): MachineBackend {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(opts.prefix)) throw new InputError(`machine prefix "${opts.prefix}" must match ^[a-z][a-z0-9]{0,5}$`);
  const dir = path.resolve(opts.dir);
  const runcRoot = path.join(dir, 'runc');
  const names = machineNames(opts.prefix);
  const log = (opts.log ?? silentLogger).child({ backend: 'machine', prefix: opts.prefix });
  const machines = new Map<string, MachineRecord>();
  const qemu: QemuRunner = createQemuRunner({ ...opts.qemu, log });
  const mdir = (id: string) => path.join(dir, names.dirName(id));
  const runc = (...args: string[]) => runCommand('runc', ['--root', runcRoot, ...args]);
  // Writable roots of containers with a rootSize: one fixed-size ext4 image each, keyed by the machine's dir name.
  const rootDisks = createLinuxStorage({ dir: path.join(dir, 'rootfs'), log });

  async function runcState(id: string): Promise<z.infer<typeof runcStateSchema> | undefined> {
    try {
      const { stdout } = await runc('state', names.container(id));
      return runcStateSchema.parse(JSON.parse(stdout));
    } catch {
      return undefined;
    }
  }

  function memoryCgroup(id: string): string {
    return path.join(CGROUP_ROOT, 'memory', names.cgroupParent, names.container(id));
  }

  function oomKilled(id: string): boolean {
    try {
      const text = readFileSync(path.join(memoryCgroup(id), 'memory.oom_control'), 'utf8');
      const m = /oom_kill (\d+)/.exec(text);
      if (m && Number(m[1]) > 0) return true;
      return Number(readFileSync(path.join(memoryCgroup(id), 'memory.failcnt'), 'utf8')) > 0 && /under_oom 1/.test(text);
    } catch {
      return false;
    }
  }

  async function exitCode(id: string): Promise<number | undefined> {
    const text = await fs.readFile(path.join(mdir(id), 'exit'), 'utf8').catch(() => '');
    return text.trim() ? Number(text.trim()) : undefined;
  }

  async function containerStatus(r: MachineRecord): Promise<MachineStatus> {
    const restarts = r.restarts ? { restarts: r.restarts } : {};
    const st = await runcState(r.id);
    if (st && (st.status === 'running' || st.status === 'paused' || st.status === 'created') && !oomKilled(r.id)) {
      return { id: r.id, state: st.status === 'paused' ? 'paused' : 'running', ...(st.pid ? { pid: st.pid } : {}), ...restarts };
    }
    // stopped (kept by --keep) or gone: wait a moment for the runner to record the exit code
    for (let i = 0; i < 40 && isAlive(r.runnerPid); i++) await sleep(25);
    const code = await exitCode(r.id);
    const exit = code !== undefined ? { exitCode: code } : {};
    if (oomKilled(r.id)) {
      return { id: r.id, state: 'oom-killed', ...exit, reason: `machine exceeded its memory limit of ${r.spec.memory} bytes and was killed`, ...restarts };
    }
    return { id: r.id, state: 'exited', ...exit, reason: `machine exited with code ${code ?? 'unknown'}`, ...restarts };
  }

  async function unmountOverlay(id: string): Promise<void> {
    const root = path.join(mdir(id), 'rootfs');
    if (mountsUnder(root).has(root)) await runCommand('umount', ['-l', root]);
  }

  async function removeCgroups(id: string): Promise<void> {
    for (const c of CGROUP_CONTROLLERS) await fs.rmdir(path.join(CGROUP_ROOT, c, names.cgroupParent, names.container(id))).catch(() => undefined);
  }

  const consoleOf = (id: string) => ({ cgroupParent: names.cgroupParent, cgroupName: `${names.container(id)}-console`, dir: mdir(id) });

  /** The console listener for a machine with a private interface (best effort: a machine without one still runs). */
  async function openConsole(spec: MachineSpec): Promise<void> {
    if (!spec.nic?.nrNetns) return;
    try {
      await startConsole({ ...consoleOf(spec.id), netns: spec.nic.nrNetns, port: consolePort(spec.nic.ip), logFile: path.join(mdir(spec.id), 'console.log') });
    } catch (err) {
      log.warn('console not started', { machine: spec.id, error: (err as Error).message });
    }
  }

  async function removeNow(id: string): Promise<void> {
    await stopConsole(consoleOf(id));
    const r = machines.get(id);
    // without a record (nothing ran it since the node restarted), a `qemu.pid` tells a VM's dir from a container's
    if (r?.kind === 'vm' || (!r && existsSync(path.join(mdir(id), 'qemu.pid')))) {
      await qemu.stop(mdir(id));
    } else {
      await tryCommand('runc', ['--root', runcRoot, 'delete', '--force', names.container(id)]);
      if (r) await killPid(r.runnerPid);
      else {
        const pid = Number(await fs.readFile(path.join(mdir(id), 'runner.pid'), 'utf8').catch(() => '0'));
        if (pid) await killPid(pid);
      }
      await removeCgroups(id);
      await unmountOverlay(id);
      if (await rootDisks.get(names.dirName(id))) await rootDisks.remove(names.dirName(id));
    }
    await fs.rm(mdir(id), { recursive: true, force: true });
    machines.delete(id);
  }

  /** Where `upper/` and `work/` go: the mounted rootfs image when the spec has a rootSize, else the machine dir. */
  async function writableLayer(spec: MachineSpec): Promise<string> {
    if (spec.rootSize === undefined) return mdir(spec.id);
    if (spec.rootSize <= 0n) throw new ZosError(`invalid root size ${spec.rootSize} for machine '${spec.name}'`);
    const disk = names.dirName(spec.id);
    // a leftover of a machine that was not removed (crash) starts clean, like its dir
    if (await rootDisks.get(disk)) await rootDisks.remove(disk);
    await rootDisks.create({ id: disk, kind: 'zmount', size: spec.rootSize });
    return rootDisks.mount(disk);
  }

  /** Starts the bundle in `mdir(r.id)` under a detached runner and waits until runc has created it. */
  async function launch(r: MachineRecord): Promise<MachineStatus> {
    const d = mdir(r.id);
    await fs.rm(path.join(d, 'exit'), { force: true });
    const logFd = openSync(path.join(d, 'console.log'), 'a');
    try {
      // sh waits for the container (foreground runc, kept after exit so its cgroup tells OOM apart) and records its exit code.
      r.runnerPid = spawnDaemon('sh', ['-c', 'runc --root "$1" run --keep -b "$2" "$3" </dev/null; echo $? > "$2/exit"', 'runner', runcRoot, d, names.container(r.id)], { logFd });
    } finally {
      closeSync(logFd);
    }
    await fs.writeFile(path.join(d, 'runner.pid'), String(r.runnerPid));
    for (let i = 0; i < 400; i++) {
      // read before the state: a container that runs and exits between the two checks is still seen (kept `stopped`)
      const runnerGone = !isAlive(r.runnerPid);
      const st = await runcState(r.id);
      if (st && st.status !== 'creating') {
        await openConsole(r.spec);
        return containerStatus(r);
      }
      if (runnerGone) break;
      await sleep(25);
    }
    const tail = await fs.readFile(path.join(d, 'console.log'), 'utf8').catch(() => '');
    throw new ZosError(`failed to start machine '${r.spec.name}': ${tail.trim().split('\n').slice(-3).join(' | ') || 'runc did not start'}`);
  }

  async function runContainer(spec: MachineSpec): Promise<MachineStatus> {
    const d = mdir(spec.id);
    await fs.rm(d, { recursive: true, force: true });
    await fs.mkdir(path.join(d, 'rootfs'), { recursive: true });
    await fs.mkdir(runcRoot, { recursive: true });
    const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: 0, restarts: 0 };
    machines.set(spec.id, r);
    try {
      const layer = await writableLayer(spec);
      for (const sub of ['upper', 'work']) await fs.mkdir(path.join(layer, sub), { recursive: true });
      await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${spec.flist.rootfs},upperdir=${path.join(layer, 'upper')},workdir=${path.join(layer, 'work')}`, path.join(d, 'rootfs')]);
      const root = path.join(d, 'rootfs');
      // Files a machine expects; written into the upper layer, never the shared rootfs.
      await fs.mkdir(path.join(root, 'etc'), { recursive: true });
      await fs.writeFile(path.join(root, 'etc/hostname'), `${spec.name}\n`);
      await fs.writeFile(path.join(root, 'etc/resolv.conf'), 'nameserver 8.8.8.8\nnameserver 1.1.1.1\nnameserver 2001:4860:4860::8888\n');
      for (const m of spec.mounts) {
        if (m.target === '/' || !m.target.startsWith('/')) throw new ZosError(`invalid mount point '${m.target}' for machine '${spec.name}'`);
        await fs.mkdir(path.join(root, m.target), { recursive: true });
      }
      if (spec.nic && spec.nic.kind !== 'veth') throw new ZosError(`container machine '${spec.name}' needs a veth interface, got ${spec.nic.kind}`);
      const config = buildOciSpec({
        spec,
        rootfs: root,
        cgroupsPath: `/${names.cgroupParent}/${names.container(spec.id)}`,
        ...(spec.nic ? { netnsPath: `/run/netns/${spec.nic.netns}` } : {}),
      });
      await fs.writeFile(path.join(d, 'config.json'), JSON.stringify(config, null, 2));
      return await launch(r);
    } catch (err) {
      await removeNow(spec.id).catch(() => undefined);
      throw err;
    }
  }

  /** A container that ended: drop runc's kept state (and its cgroups, so OOM counters start at 0), run the bundle again. */
  async function relaunch(r: MachineRecord): Promise<MachineStatus> {
    await tryCommand('runc', ['--root', runcRoot, 'delete', '--force', names.container(r.id)]);
    if (r.runnerPid > 1) await killPid(r.runnerPid);
    await removeCgroups(r.id);
    return launch(r);
  }

  // A container whose cgroup saw an OOM kill is killed whole (ZOS kills the VM), so status reports it ended.
  const watcher = setInterval(() => {
    for (const r of machines.values()) {
      if (r.kind !== 'container' || !isAlive(r.runnerPid) || !oomKilled(r.id)) continue;
      void tryCommand('runc', ['--root', runcRoot, 'kill', names.container(r.id), 'KILL']);
    }
  }, 250);
  watcher.unref();

  const backend: MachineBackend = {
    async run(spec) {
      const have = machines.get(spec.id);
      if (have) return (await backend.status(spec.id)) as MachineStatus;
      if (spec.cpu < 1) throw new ZosError("cpu capacity can't be 0");
      if (spec.flist.mode === 'container') {
        // After a node restart the container may still run (its runner is detached): adopt it.
        const prev = await runcState(spec.id);
        const runner = Number(await fs.readFile(path.join(mdir(spec.id), 'runner.pid'), 'utf8').catch(() => '0'));
        if (prev && (prev.status === 'running' || prev.status === 'paused') && runner > 1 && isAlive(runner)) {
          const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: runner, restarts: 0 };
          machines.set(spec.id, r);
          await openConsole(spec);
          log.info('machine adopted', { machine: spec.id });
          return containerStatus(r);
        }
        // It ended while the node was down, its bundle and root still mounted (the host did not reboot): start it
        // again on that root, as ZOS boots a VM on its persisted rootfs volume. Anything less is rebuilt from scratch.
        const root = path.join(mdir(spec.id), 'rootfs');
        if (prev?.status === 'stopped' && !(runner > 1 && isAlive(runner)) && existsSync(path.join(mdir(spec.id), 'config.json')) && mountsUnder(root).has(root)) {
          const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: 0, restarts: 0 };
          machines.set(spec.id, r);
          try {
            const st = await relaunch(r);
            log.info('machine started again on its kept root', { machine: spec.id, state: st.state });
            return st;
          } catch (err) {
            await removeNow(spec.id).catch(() => undefined);
            throw err;
          }
        }
        if (prev) await removeNow(spec.id);
        const st = await runContainer(spec);
        log.info('machine started', { machine: spec.id, state: st.state });
        return st;
      }
      // After a node restart the VM may still run (qemu is detached): adopt it when it runs this very spec. One that
      // runs another spec is stopped; one that ended while the node was down is started again (a fresh dir).
      const d = mdir(spec.id);
      const running = await qemu.status(d, spec.id);
      if (running.state !== 'exited') {
        if (qemu.runsSpec(d, spec, { publicNic: spec.nic?.public })) {
          machines.set(spec.id, { id: spec.id, spec, kind: 'vm', runnerPid: running.pid ?? 0, restarts: 0 });
          await openConsole(spec);
          log.info('vm adopted', { machine: spec.id, pid: running.pid });
          return running;
        }
        log.info('vm runs another spec: started again', { machine: spec.id, pid: running.pid });
        await qemu.stop(d);
      }
      await stopConsole(consoleOf(spec.id));
      await fs.rm(d, { recursive: true, force: true });
      await fs.mkdir(d, { recursive: true });
      machines.set(spec.id, { id: spec.id, spec, kind: 'vm', runnerPid: 0, restarts: 0 });
      try {
        const pid = await qemu.start(d, spec, { publicNic: spec.nic?.public });
        (machines.get(spec.id) as MachineRecord).runnerPid = pid;
        await openConsole(spec);
      } catch (err) {
        await removeNow(spec.id).catch(() => undefined);
        throw err;
      }
      return (await backend.status(spec.id)) as MachineStatus;
    },

    async status(id) {
      const r = machines.get(id);
      if (!r) return undefined;
      if (r.kind === 'vm') {
        const st = await qemu.status(mdir(id), id);
        return r.restarts ? { ...st, restarts: r.restarts } : st;
      }
      return containerStatus(r);
    },

    async restart(id) {
      const r = machines.get(id);
      if (!r) throw new ZosError(`machine '${id}' not found`);
      const st = (await backend.status(id)) as MachineStatus;
      if (st.state === 'running' || st.state === 'paused') return st;
      if (r.kind === 'container') {
        r.restarts++;
        const next = await relaunch(r);
        log.info('machine restarted', { machine: id, restarts: r.restarts, after: st.reason });
        return next;
      }
      await qemu.stop(mdir(id));
      r.restarts++;
      r.runnerPid = await qemu.start(mdir(id), r.spec, { publicNic: r.spec.nic?.public });
      await openConsole(r.spec);
      log.info('vm restarted', { machine: id, restarts: r.restarts, after: st.reason });
      return (await backend.status(id)) as MachineStatus;
    },

    async list() {
      const out: MachineStatus[] = [];
      for (const id of [...machines.keys()].sort()) {
        const s = await backend.status(id);
        if (s) out.push(s);
      }
      return out;
    },

    async pause(id) {
      const r = machines.get(id);
      if (!r) throw new ZosError(`machine '${id}' not found`);
      if (r.kind === 'vm') return qemu.pause(mdir(id));
      const st = await runcState(id);
      if (st?.status === 'running') await runc('pause', names.container(id));
    },

    async resume(id) {
      const r = machines.get(id);
      if (!r) throw new ZosError(`machine '${id}' not found`);
      if (r.kind === 'vm') return qemu.resume(mdir(id));
      const st = await runcState(id);
      if (st?.status === 'paused') await runc('resume', names.container(id));
    },

    async logs(id, maxBytes = 64 * 1024) {
      const file = backend.logPath(id);
      if (!existsSync(file)) return '';
      const fh = await fs.open(file, 'r');
      try {
        const { size } = await fh.stat();
        const start = Math.max(0, size - maxBytes);
        const buf = Buffer.alloc(size - start);
        await fh.read(buf, 0, buf.length, start);
        return buf.toString('utf8');
      } finally {
        await fh.close();
      }
    },

    logPath: (id) => path.join(mdir(id), 'console.log'),

    async remove(id) {
      await removeNow(id);
      log.info('machine removed', { machine: id });
    },

    async close() {
      clearInterval(watcher);
      for (const id of [...machines.keys()]) await removeNow(id);
      for (const c of CGROUP_CONTROLLERS) await fs.rmdir(path.join(CGROUP_ROOT, c, names.cgroupParent)).catch(() => undefined);
    },
  };
  return backend;
}
