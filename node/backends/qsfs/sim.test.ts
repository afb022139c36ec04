/** The qsfs behaviour suite against the state-only sim (docs/style.md §6). */
import { describeQsfsBackend } from './qsfs.suite';
import { createSimQsfs } from './sim';
import { testQsfsConfig } from './test-config';

describeQsfsBackend('sim', async () => ({ backend: createSimQsfs({ rootDir: '/var/lib/tfgrid/qsfs' }), config: testQsfsConfig(['[::1]:9900', '[::1]:9900', '[::1]:9900', '[::1]:9900']) }));
