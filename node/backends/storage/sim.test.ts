/** The storage behaviour suite on the state-only backend (zos-protocol.md §1.5 zmount). */
import { createSimStorage } from './sim';
import { describeStorageBackend } from './storage.suite';

describeStorageBackend('sim', (dir) => createSimStorage({ dir }));
