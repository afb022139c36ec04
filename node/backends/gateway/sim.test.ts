/** The gateway behaviour suite against the state-only sim (docs/style.md §6). */
import { describeGatewayBackend } from './gateway.suite';
import { createSimGateway } from './sim';

describeGatewayBackend('sim', async (deps, node) => createSimGateway(deps, { node }));
