/**
 * The k3s stand-in flist (local/hub/k3s-flist.ts): a server and an agent started as ZOS starts k3s machines
 * (`/sbin/zinit init`, the k3s env, stdin closed as a container's init may have it), each in a chroot of its own
 * rootfs, both in one throwaway network and PID namespace: when the namespace's first process ends, everything the
 * stand-ins started ends with it.
 */
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { describeWithTools } from '../../test/helpers/require-tools';
import { buildK3sStandinRootfs, K3S_STANDIN_SERVER_PAGE, K3S_STANDIN_STATE } from './k3s-flist';

const execFileAsync = promisify(execFile);

describeWithTools(['busybox', 'chroot', 'unshare', 'mknod', 'ip', 'wget'], { root: true })('k3s stand-in flist', () => {
  let dir: string;
  const roots: Record<'server' | 'agent', string> = { server: '', agent: '' };
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-k3s-flist-'));
    for (const role of ['server', 'agent'] as const) {
      roots[role] = await buildK3sStandinRootfs(path.join(dir, role));
      // A container's /dev has null (runc makes it); a bare chroot does not.
      await execFileAsync('mknod', ['-m', '666', path.join(roots[role], 'dev/null'), 'c', '1', '3']);
    }
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('records its env, answers on 6443 as a server, and an agent started first joins through K3S_URL', async () => {
    const start = (root: string, env: string) => `env -i ${env} "$(command -v chroot)" ${root} /sbin/zinit init <&- &`;
    const script = [
      'ip link set lo up',
      // The agent first: it keeps dialing until the server answers, as k3s agents do.
      start(roots.agent, 'K3S_TOKEN=tok K3S_NODE_NAME=w1 K3S_DATA_DIR=/mnt/data K3S_URL=https://127.0.0.1:6443'),
      'sleep 2',
      start(roots.server, 'K3S_TOKEN=tok K3S_NODE_NAME=m K3S_DATA_DIR=/mnt/data K3S_URL='),
      `for i in $(seq 1 50); do [ -f ${roots.agent}${K3S_STANDIN_STATE}/joined ] && break; sleep 0.2; done`,
      `cat ${roots.agent}${K3S_STANDIN_STATE}/joined`,
      'wget -q -O - http://127.0.0.1:10250/',
    ].join('\n');
    const { stdout } = await execFileAsync('unshare', ['--net', '--pid', '--fork', '--kill-child', 'sh', '-c', script], { timeout: 60_000 });
    expect(stdout).toBe(`${K3S_STANDIN_SERVER_PAGE} m\nk3s stand-in agent w1\n`);
    const env = await fs.readFile(path.join(roots.server, K3S_STANDIN_STATE, 'env'), 'utf8');
    expect(env.split('\n')).toEqual(expect.arrayContaining(['K3S_TOKEN=tok', 'K3S_NODE_NAME=m', 'K3S_URL=']));
    expect(await fs.readFile(path.join(roots.agent, K3S_STANDIN_STATE, 'log'), 'utf8')).toContain('joined 127.0.0.1:6443');
    expect((await fs.readFile(path.join(roots.server, 'mnt/data/k3s-standin'), 'utf8')).trim()).toBe('m');
  });

  it('refuses anything but `zinit init`', async () => {
    await expect(execFileAsync('chroot', [roots.server, '/sbin/zinit', 'list'])).rejects.toThrow("only 'zinit init' is supported");
  });
});
