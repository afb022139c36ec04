/**
 * zlogs manager: checks the zmachine it follows (same deployment, ok/paused; zos-protocol.md §1.5 zlogs,
 * §6.2), then streams the machine's captured console (`backends.machine.logPath`) to `output` over ws/redis
 * (`zlogs-stream.ts`). Result data is null (§4). Streams belong to the machine backend they read from: one
 * table per backend instance (a WeakMap, so nodes in one process never share), ended by `deprovision` or
 * by `stopZlogStreams` when the node closes.
 * @module
 */
import type { MachineBackend } from '../../backends/machine/machine';
import type { Manager } from './manager';
import { startLogStream, type LogStream } from './zlogs-stream';

const streams = new WeakMap<MachineBackend, Map<string, { output: string; stream: LogStream }>>();

function tableOf(machine: MachineBackend): Map<string, { output: string; stream: LogStream }> {
  let t = streams.get(machine);
  if (!t) {
    t = new Map();
    streams.set(machine, t);
  }
  return t;
}

/** Ends every zlogs stream reading from `machine` (the node runtime calls it on close). */
export async function stopZlogStreams(machine: MachineBackend): Promise<void> {
  const t = streams.get(machine);
  if (!t) return;
  const all = [...t.values()];
  t.clear();
  await Promise.all(all.map((s) => s.stream.close()));
}

/** Workload ids with a live stream on `machine` (debugging, tests). */
export function activeZlogStreams(machine: MachineBackend): string[] {
  return [...(streams.get(machine)?.keys() ?? [])];
}

export const zlogsManager: Manager<'zlogs'> = {
  async provision(ctx, d) {
    const vm = ctx.workloads.find((w) => w.name === d.zmachine && w.type === 'zmachine');
    if (!vm) throw new Error(`no zmachine with name '${d.zmachine}' found`);
    if (vm.state !== 'ok' && vm.state !== 'paused') throw new Error(`zmachine '${d.zmachine}' is not running`);
    const machineId = `${ctx.twinId}-${ctx.contractId}-${d.zmachine}`;
    const status = await ctx.backends.machine.status(machineId);
    if (!status) throw new Error(`zmachine '${d.zmachine}' is not running`);
    const table = tableOf(ctx.backends.machine);
    const cur = table.get(ctx.wid);
    if (cur && cur.output === d.output) return null; // idempotent
    if (cur) {
      table.delete(ctx.wid);
      await cur.stream.close();
    }
    const stream = startLogStream({ log: ctx.log }, { file: ctx.backends.machine.logPath(machineId), output: d.output });
    table.set(ctx.wid, { output: d.output, stream });
    return null;
  },
  async deprovision(ctx) {
    const table = streams.get(ctx.backends.machine);
    const cur = table?.get(ctx.wid);
    if (!cur) return;
    table!.delete(ctx.wid);
    await cur.stream.close();
  },
};
