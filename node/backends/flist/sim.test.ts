/** The flist behaviour suite on the state-only backend (zos-protocol.md §6.3). */
import { createSimFlists } from './sim';
import { describeFlistBackend } from './flist.suite';

describeFlistBackend('sim', () => createSimFlists(), {
  differs: [
    { test: 'gives different content a different key', reason: 'the sim never reads content; its key hashes the reference' },
    { test: 'reads the entry and env of .startup.toml', reason: 'the sim does not unpack rootfs' },
    { test: 'points vm-kernel at its kernel and initrd', reason: 'the sim does not unpack rootfs' },
    { test: 'rejects a reference that does not exist', reason: 'the sim never looks at the reference' },
  ],
});
