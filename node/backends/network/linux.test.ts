/** The network behaviour suite on netns + bridge + wireguard-go (root; machine.md WireGuard, netns). */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeWithTools } from '../../../test/helpers/require-tools';
import { createLinuxNetwork } from './linux';
import { describeNetworkBackend } from './network.suite';

describeNetworkBackend(
  'linux',
  async () => {
    const prefix = `t${(process.pid % 46656).toString(36)}n`;
    const hostNetns = `${prefix}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
    execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'lo', 'up']);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-net-'));
    return {
      backend: createLinuxNetwork({ host: { prefix, hostNetns }, dir }),
      async teardown() {
        const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.startsWith(`${prefix}-`) && !l.startsWith(hostNetns));
        execFileSync('ip', ['netns', 'del', hostNetns]);
        await fs.rm(dir, { recursive: true, force: true });
        expect(left).toEqual([]);
        expect((await fs.readdir('/var/run/wireguard').catch(() => [] as string[])).filter((s) => s.startsWith(`${prefix}w`))).toEqual([]);
      },
    };
  },
  {},
  describeWithTools(['ip', 'wireguard-go', 'wg', 'nsenter'], { root: true }),
);
