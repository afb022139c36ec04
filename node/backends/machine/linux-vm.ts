/**
 * VM-mode zmachines on the Linux machine backend: qemu (vm-qemu.ts) with the NIC's `public` tap
 * (NetworkBackend.attachPublicIp) as the VM's second NIC. A VM survives a node restart: `run` adopts a qemu that
 * still runs this spec (vm-qemu.ts `runsSpec`), stops one that runs another, and starts one that ended meanwhile
 * afresh.
 * @module
 */
import { promises as fs } from 'fs';
import { stopConsole } from './console';
import { consoleOf, openConsole } from './linux-context';
import type { LinuxMachineContext, MachineRecord } from './linux-context';
import type { MachineSpec, MachineStatus } from './machine';

/** `run` of a VM machine; returns once qemu started (the caller reads its status). */
export async function runOrAdoptVm(ctx: LinuxMachineContext, spec: MachineSpec): Promise<MachineStatus | undefined> {
  const { qemu, log, machines } = ctx;
  // After a node restart the VM may still run (qemu is detached): adopt it when it runs this very spec. One that
  // runs another spec is stopped; one that ended while the node was down is started again (a fresh dir).
  const d = ctx.mdir(spec.id);
  const running = await qemu.status(d, spec.id);
  if (running.state !== 'exited') {
    if (qemu.runsSpec(d, spec, { publicNic: spec.nic?.public })) {
      machines.set(spec.id, { id: spec.id, spec, kind: 'vm', runnerPid: running.pid ?? 0, restarts: 0 });
      await openConsole(ctx, spec);
      log.info('vm adopted', { machine: spec.id, pid: running.pid });
      return running;
    }
    log.info('vm runs another spec: started again', { machine: spec.id, pid: running.pid });
    await qemu.stop(d);
  }
  await stopConsole(consoleOf(ctx, spec.id));
  await fs.rm(d, { recursive: true, force: true });
  await fs.mkdir(d, { recursive: true });
  machines.set(spec.id, { id: spec.id, spec, kind: 'vm', runnerPid: 0, restarts: 0 });
  try {
    const pid = await qemu.start(d, spec, { publicNic: spec.nic?.public });
    (machines.get(spec.id) as MachineRecord).runnerPid = pid;
    await openConsole(ctx, spec);
  } catch (err) {
    await ctx.removeNow(spec.id).catch(() => undefined);
    throw err;
  }
  return undefined;
}

/** Restarts an ended VM on its dir (same spec, same public NIC). */
export async function restartVm(ctx: LinuxMachineContext, r: MachineRecord): Promise<void> {
  await ctx.qemu.stop(ctx.mdir(r.id));
  r.restarts++;
  r.runnerPid = await ctx.qemu.start(ctx.mdir(r.id), r.spec, { publicNic: r.spec.nic?.public });
  await openConsole(ctx, r.spec);
}
