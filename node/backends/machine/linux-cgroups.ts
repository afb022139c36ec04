/**
 * cgroup v1 of container machines (machine.md: cgroup v1 limits cpu and memory): a container's cgroups live under
 * `/sys/fs/cgroup/<controller>/tfgrid-<prefix>/<container>`. runc creates them from the bundle's `cgroupsPath`;
 * we read the memory controller to tell an OOM kill from an exit, and remove them with the machine.
 * @module
 */
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import type { MachineNames } from './linux-context';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'];

function memoryCgroup(names: MachineNames, id: string): string {
  return path.join(CGROUP_ROOT, 'memory', names.cgroupParent, names.container(id));
}

/** Whether the container's memory cgroup saw an OOM kill (false when it has no cgroup). */
export function oomKilled(names: MachineNames, id: string): boolean {
  try {
    const text = readFileSync(path.join(memoryCgroup(names, id), 'memory.oom_control'), 'utf8');
    const m = /oom_kill (\d+)/.exec(text);
    if (m && Number(m[1]) > 0) return true;
    return Number(readFileSync(path.join(memoryCgroup(names, id), 'memory.failcnt'), 'utf8')) > 0 && /under_oom 1/.test(text);
  } catch {
    return false;
  }
}

/** Removes the container's cgroup in every controller (best effort: runc may have removed some). */
export async function removeCgroups(names: MachineNames, id: string): Promise<void> {
  for (const c of CGROUP_CONTROLLERS) await fs.rmdir(path.join(CGROUP_ROOT, c, names.cgroupParent, names.container(id))).catch(() => undefined);
}

/** Removes the node's parent cgroups once its machines are gone. */
export async function removeCgroupParent(names: MachineNames): Promise<void> {
  for (const c of CGROUP_CONTROLLERS) await fs.rmdir(path.join(CGROUP_ROOT, c, names.cgroupParent)).catch(() => undefined);
}
