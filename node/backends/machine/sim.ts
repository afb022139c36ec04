/**
 * MachineBackend, state only: machines are records whose state follows run/pause/resume/remove. Nothing runs,
 * so there are no logs beyond one line per transition, and a machine never ends on its own (`restart` has nothing to
 * do). For machines without root; never CI's fallback.
 * zos-protocol.md §6.3.
 * @module
 */
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import type { MachineBackend, MachineStatus } from './machine';

export function createSimMachines(opts: { dir: string }): MachineBackend {
  const machines = new Map<string, { status: MachineStatus; log: string[] }>();
  const must = (id: string) => {
    const m = machines.get(id);
    if (!m) throw new ZosError(`machine '${id}' not found`);
    return m;
  };
  const backend: MachineBackend = {
    async run(spec) {
      const have = machines.get(spec.id);
      if (have) return { ...have.status };
      if (spec.cpu < 1) throw new ZosError("cpu capacity can't be 0");
      machines.set(spec.id, { status: { id: spec.id, state: 'running' }, log: [`sim: started ${spec.name} (${spec.flist.mode})\n`] });
      return { id: spec.id, state: 'running' };
    },
    // a sim machine never ends, so there is never anything to start again
    restart: async (id) => ({ ...must(id).status }),
    status: async (id) => (machines.has(id) ? { ...(machines.get(id)?.status as MachineStatus) } : undefined),
    list: async () => [...machines.values()].map((m) => ({ ...m.status })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    async pause(id) {
      const m = must(id);
      if (m.status.state === 'running') m.status.state = 'paused';
    },
    async resume(id) {
      const m = must(id);
      if (m.status.state === 'paused') m.status.state = 'running';
    },
    logs: async (id, maxBytes = 64 * 1024) => (machines.get(id)?.log.join('') ?? '').slice(-maxBytes),
    logPath: (id) => path.join(opts.dir, `${id}.log`),
    async remove(id) {
      machines.delete(id);
    },
    async close() {
      machines.clear();
    },
  };
  return backend;
}
