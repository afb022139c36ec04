/** The machine behaviour suite on runc + overlay + cgroup v1 (root; machine.md runc). */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../../local/hub/base-flist';
import { describeWithTools } from '../../../test/helpers/require-tools';
import { createLinuxFlists } from '../flist/linux';
import { createLinuxMachines } from './linux';
import { describeMachineBackend } from './machine.suite';

describeMachineBackend(
  'linux',
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-mach-'));
    const prefix = `m${(process.pid % 46656).toString(36)}`;
    const flists = createLinuxFlists({ dir: path.join(dir, 'flists') });
    const flist = await flists.resolve(await buildBaseRootfs(path.join(dir, 'base')));
    return {
      backend: createLinuxMachines({ prefix, dir: path.join(dir, 'machines') }),
      flist,
      async teardown() {
        const runcLeft = execFileSync('runc', ['--root', path.join(dir, 'machines', 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim();
        const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(dir);
        await fs.rm(dir, { recursive: true, force: true });
        expect(runcLeft).toBe('');
        expect(mounts).toBe(false);
      },
    };
  },
  {},
  describeWithTools(['runc', 'busybox', 'mount'], { root: true }),
);
