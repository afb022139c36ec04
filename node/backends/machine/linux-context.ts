/**
 * What the Linux machine backend's parts share (linux.ts wires them): names derived from the node prefix, the
 * per-machine directory, the table of machines this process runs, and the console listener every kind gets.
 * Containers (linux-container.ts) and VMs (linux-vm.ts) take this context instead of closing over one big function.
 * @module
 */
import { createHash } from 'crypto';
import * as path from 'path';
import type { Logger } from '../../../protocol/common/log';
import type { StorageBackend } from '../storage/storage';
import { consolePort, startConsole } from './console';
import type { ConsoleTarget } from './console';
import type { MachineSpec } from './machine';
import type { QemuRunner } from './vm-qemu';

/** Container id and cgroup names for a node prefix. */
export function machineNames(prefix: string) {
  const h = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 12);
  return {
    container: (id: string) => `${prefix}-${h(id)}`,
    dirName: (id: string) => h(id),
    cgroupParent: `tfgrid-${prefix}`,
  };
}

export type MachineNames = ReturnType<typeof machineNames>;

/** One machine this process started or adopted. */
export interface MachineRecord {
  id: string;
  spec: MachineSpec;
  kind: 'container' | 'vm';
  runnerPid: number;
  restarts: number;
}

export interface LinuxMachineContext {
  runcRoot: string;
  names: MachineNames;
  log: Logger;
  machines: Map<string, MachineRecord>;
  qemu: QemuRunner;
  /** Writable roots of containers with a rootSize: one fixed-size ext4 image each, keyed by the machine's dir name. */
  rootDisks: StorageBackend;
  /** The machine's own directory (`<dir>/<hash>/`). */
  mdir(id: string): string;
  /** Removes a machine of either kind with all it holds; undoes a failed start. */
  removeNow(id: string): Promise<void>;
}

export function consoleOf(ctx: LinuxMachineContext, id: string): Pick<ConsoleTarget, 'cgroupParent' | 'cgroupName' | 'dir'> {
  return { cgroupParent: ctx.names.cgroupParent, cgroupName: `${ctx.names.container(id)}-console`, dir: ctx.mdir(id) };
}

/** The console listener for a machine with a private interface (best effort: a machine without one still runs). */
export async function openConsole(ctx: LinuxMachineContext, spec: MachineSpec): Promise<void> {
  if (!spec.nic?.nrNetns) return;
  try {
    await startConsole({ ...consoleOf(ctx, spec.id), netns: spec.nic.nrNetns, port: consolePort(spec.nic.ip), logFile: path.join(ctx.mdir(spec.id), 'console.log') });
  } catch (err) {
    ctx.log.warn('console not started', { machine: spec.id, error: (err as Error).message });
  }
}
