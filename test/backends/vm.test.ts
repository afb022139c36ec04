/**
 * A VM-mode machine (zos-protocol.md §6.3 `/boot/vmlinuz`): qemu TCG under `timeout`, a tap in the network
 * resource, the private IP from the kernel command line. It boots, answers on its private IP, pauses and is
 * removed without leftovers. Slow (TCG): its own file, one VM.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAlive } from '../../node/backends/machine/host-command';
import { createLinuxBackends } from '../../node/backends/machine/linux-backends';
import type { LinuxBackends } from '../../node/backends/machine/linux-backends';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { buildVmKernelFlist } from './vm-kernel-flist';

jest.setTimeout(180_000);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl'], { root: true })('VM-mode machine', () => {
  let dir: string;
  let hostNetns: string;
  let b: LinuxBackends;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vm-'));
    const prefix = `v${(process.pid % 1296).toString(36)}`;
    hostNetns = `${prefix}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
    b = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns, qemu: { maxSeconds: 170 } });
  });
  afterAll(async () => {
    await b?.close();
    execFileSync('ip', ['netns', 'del', hostNetns]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('boots a vm-kernel flist that answers on its private IP, pauses, and leaves nothing when removed', async () => {
    const flist = await b.flists.resolve(await buildVmKernelFlist(dir));
    expect(flist.mode).toBe('vm-kernel');
    const nr = await b.network.apply({ netId: networkId(7, 'vmnet'), ipRange: '10.50.0.0/16', subnet: '10.50.2.0/24', wgPrivateKey: wgKeyPair().privateKey, wgListenPort: 25000 + (process.pid % 1000), peers: [] });
    const nic = await b.network.attach({ netId: nr.netId, machine: '7-1-vm', ip: '10.50.2.7', kind: 'tap' });
    const st = await b.machines.run({ id: '7-1-vm', name: 'vm', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic });
    expect(st.state).toBe('running');
    let page = '';
    for (let i = 0; i < 150 && !page; i++) {
      try {
        page = execFileSync('nsenter', [`--net=/run/netns/${nr.netns}`, 'curl', '-sS', '-m', '1', 'http://10.50.2.7/'], { encoding: 'utf8', stdio: 'pipe' });
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(page).toBe('vm vm\n');
    expect(await b.machines.logs('7-1-vm')).toContain('VM-READY 10.50.2.7');
    await b.machines.pause('7-1-vm');
    expect((await b.machines.status('7-1-vm'))?.state).toBe('paused');
    await b.machines.resume('7-1-vm');
    const pid = (await b.machines.status('7-1-vm'))?.pid as number;
    expect(isAlive(pid)).toBe(true);
    await b.machines.remove('7-1-vm');
    await b.network.detach('7-1-vm');
    expect(isAlive(pid)).toBe(false);
    expect(execFileSync('ip', ['-n', nr.netns, '-o', 'link'], { encoding: 'utf8' })).not.toContain(nic.ifname);
  });
});
