/** The zdb behaviour suite against the state-only sim (docs/style.md §6). */
import { createSimZdbBackend } from './sim';
import { describeZdbBackend } from './zdb.suite';

describeZdbBackend('sim', async (capacity) => createSimZdbBackend({ addresses: ['10.1.0.2'], capacity }));
