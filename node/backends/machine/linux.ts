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
 * Parts: containers in `linux-container.ts`, VMs in `linux-vm.ts`, cgroups in `linux-cgroups.ts`, the shared context
 * (names, machine table, console) in `linux-context.ts`; this file wires them into the MachineBackend.
 * @module
 */
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { InputError, ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { createLinuxStorage } from '../storage/linux';
import { stopConsole } from './console';
import { removeCgroupParent } from './linux-cgroups';
import { containerStatus, pauseContainer, relaunch, removeContainer, resumeContainer, runOrAdoptContainer, watchOomKills } from './linux-container';
import { consoleOf, machineNames } from './linux-context';
import type { LinuxMachineContext, MachineRecord } from './linux-context';
import { restartVm, runOrAdoptVm } from './linux-vm';
import type { MachineBackend, MachineStatus } from './machine';
import { createQemuRunner } from './vm-qemu';

export { CGROUP_CONTROLLERS, CGROUP_ROOT } from './linux-cgroups';
export { machineNames } from './linux-context';

export interface LinuxMachineOptions {
  /** Node prefix (same as the network's): container ids and the cgroup parent carry it. */
  prefix: string;
  dir: string;
  log?: Logger;
  /** For VM modes; default `qemu-system-x86_64` under `timeout`. */
  qemu?: { binary?: string; accel?: 'tcg' | 'kvm'; maxSeconds?: number };
}

/** The last `maxBytes` of a file, '' when it does not exist. */
async function readTail(file: string, maxBytes: number): Promise<string> {
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
}

export function createLinuxMachines(opts: LinuxMachineOptions): MachineBackend {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(opts.prefix)) throw new InputError(`machine prefix "${opts.prefix}" must match ^[a-z][a-z0-9]{0,5}$`);
  const dir = path.resolve(opts.dir);
  const names = machineNames(opts.prefix);
  const log = (opts.log ?? silentLogger).child({ backend: 'machine', prefix: opts.prefix });
  const machines = new Map<string, MachineRecord>();
  const ctx: LinuxMachineContext = {
    runcRoot: path.join(dir, 'runc'),
    names,
    log,
    machines,
    qemu: createQemuRunner({ ...opts.qemu, log }),
    rootDisks: createLinuxStorage({ dir: path.join(dir, 'rootfs'), log }),
    mdir: (id) => path.join(dir, names.dirName(id)),
    removeNow,
  };
  const { qemu, mdir } = ctx;

  async function removeNow(id: string): Promise<void> {
    await stopConsole(consoleOf(ctx, id));
    const r = machines.get(id);
    // without a record (nothing ran it since the node restarted), a `qemu.pid` tells a VM's dir from a container's
    if (r?.kind === 'vm' || (!r && existsSync(path.join(mdir(id), 'qemu.pid')))) {
      await qemu.stop(mdir(id));
    } else {
      await removeContainer(ctx, id, r);
    }
    await fs.rm(mdir(id), { recursive: true, force: true });
    machines.delete(id);
  }

  const watcher = watchOomKills(ctx);

  const backend: MachineBackend = {
    async run(spec) {
      const have = machines.get(spec.id);
      if (have) return (await backend.status(spec.id)) as MachineStatus;
      if (spec.cpu < 1) throw new ZosError("cpu capacity can't be 0");
      if (spec.flist.mode === 'container') return runOrAdoptContainer(ctx, spec);
      const adopted = await runOrAdoptVm(ctx, spec);
      return adopted ?? ((await backend.status(spec.id)) as MachineStatus);
    },

    async status(id) {
      const r = machines.get(id);
      if (!r) return undefined;
      if (r.kind === 'vm') {
        const st = await qemu.status(mdir(id), id);
        return r.restarts ? { ...st, restarts: r.restarts } : st;
      }
      return containerStatus(ctx, r);
    },

    async restart(id) {
      const r = machines.get(id);
      if (!r) throw new ZosError(`machine '${id}' not found`);
      const st = (await backend.status(id)) as MachineStatus;
      if (st.state === 'running' || st.state === 'paused') return st;
      if (r.kind === 'container') {
        r.restarts++;
        const next = await relaunch(ctx, r);
        log.info('machine restarted', { machine: id, restarts: r.restarts, after: st.reason });
        return next;
      }
      await restartVm(ctx, r);
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
      await pauseContainer(ctx, id);
    },

    async resume(id) {
      const r = machines.get(id);
      if (!r) throw new ZosError(`machine '${id}' not found`);
      if (r.kind === 'vm') return qemu.resume(mdir(id));
      await resumeContainer(ctx, id);
    },

    logs: (id, maxBytes = 64 * 1024) => readTail(backend.logPath(id), maxBytes),

    logPath: (id) => path.join(mdir(id), 'console.log'),

    async remove(id) {
      await removeNow(id);
      log.info('machine removed', { machine: id });
    },

    async close() {
      clearInterval(watcher);
      for (const id of [...machines.keys()]) await removeNow(id);
      await removeCgroupParent(names);
    },
  };
  return backend;
}
