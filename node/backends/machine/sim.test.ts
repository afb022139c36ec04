/** The machine behaviour suite on the state-only backend (zos-protocol.md §6.3). */
import { createSimFlists } from '../flist/sim';
import { createSimMachines } from './sim';
import { describeMachineBackend } from './machine.suite';

describeMachineBackend('sim', async () => ({ backend: createSimMachines({ dir: '/nonexistent' }), flist: await createSimFlists().resolve('sim://base'), teardown: async () => {} }), {
  differs: [
    { test: 'uses the workload name as hostname and passes env to the entrypoint', reason: 'the sim runs nothing, so there is no output' },
    { test: 'reports an exited machine with its exit code', reason: 'the sim runs nothing; its machines never exit' },
  ],
});
