/** The network behaviour suite on the state-only backend (zos-protocol.md §6.4). */
import { createSimNetwork } from './sim';
import { describeNetworkBackend } from './network.suite';

describeNetworkBackend('sim', async () => ({ backend: createSimNetwork({ prefix: 'sim' }), teardown: async () => {} }));
