/**
 * zlogs manager: checks the zmachine it follows (same deployment, ok/paused; zos-protocol.md §1.5 zlogs,
 * §6.2) and records the stream; the machine backend's log file is the source. Result data is null (§4).
 */
import type { Manager } from './manager';

interface ZlogsData {
  zmachine: string;
  output: string;
}

export const zlogsManager: Manager = {
  async provision(ctx, data) {
    const d = data as ZlogsData;
    const vm = ctx.workloads.find((w) => w.name === d.zmachine && w.type === 'zmachine');
    if (!vm) throw new Error(`no zmachine with name '${d.zmachine}' found`);
    if (vm.state !== 'ok' && vm.state !== 'paused') throw new Error(`zmachine '${d.zmachine}' is not running`);
    const status = await ctx.backends.machine.status(`${ctx.twinId}-${ctx.contractId}-${d.zmachine}`);
    if (!status) throw new Error(`zmachine '${d.zmachine}' is not running`);
    return null;
  },
  async deprovision() {
    // Nothing owned: the stream ends with the workload.
  },
};
