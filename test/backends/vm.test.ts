/**
 * A VM-mode machine (zos-protocol.md §6.3 `/boot/vmlinuz`): qemu TCG under `timeout`, a tap in the network
 * resource, the private IP from the kernel command line. It boots, answers on its private IP, pauses and is
 * removed without leftovers; a VM whose qemu died is started again by `restart` (what the engine's health checker
 * calls) and answers again. Slow (TCG): its own file, one VM at a time.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { isAlive } from '../../node/backends/machine/host-command';
import { useScratchNode } from './fixtures';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { fetchInNs, sleep } from '../helpers/netns-http';

jest.setTimeout(180_000);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl'], { root: true })('VM-mode machine', () => {
  const node = useScratchNode('v', { qemuMaxSeconds: 170 });

  it('boots a vm-kernel flist that answers on its private IP, pauses, and leaves nothing when removed', async () => {
    const flist = await node.backends.flists.resolve(await buildVmKernelRootfs(path.join(node.dir, 'vm-flist')));
    expect(flist.mode).toBe('vm-kernel');
    const nr = await node.backends.network.apply({
      netId: networkId(7, 'vmnet'),
      ipRange: '10.50.0.0/16',
      subnet: '10.50.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 25000 + (process.pid % 1000),
      peers: [],
    });
    const nic = await node.backends.network.attach({ netId: nr.netId, machine: '7-1-vm', ip: '10.50.2.7', kind: 'tap' });
    const st = await node.backends.machines.run({ id: '7-1-vm', name: 'vm', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic });
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
    expect(await node.backends.machines.logs('7-1-vm')).toContain('VM-READY 10.50.2.7');
    await node.backends.machines.pause('7-1-vm');
    expect((await node.backends.machines.status('7-1-vm'))?.state).toBe('paused');
    await node.backends.machines.resume('7-1-vm');
    const pid = (await node.backends.machines.status('7-1-vm'))?.pid as number;
    expect(isAlive(pid)).toBe(true);
    await node.backends.machines.remove('7-1-vm');
    await node.backends.network.detach('7-1-vm');
    expect(isAlive(pid)).toBe(false);
    expect(execFileSync('ip', ['-n', nr.netns, '-o', 'link'], { encoding: 'utf8' })).not.toContain(nic.ifname);
  });

  it('restarts a VM whose qemu was killed: same tap and IP, a new qemu, and it answers again', async () => {
    const flist = await node.backends.flists.resolve(await buildVmKernelRootfs(path.join(node.dir, 'vm-flist-2')));
    const nr = await node.backends.network.apply({
      netId: networkId(7, 'vmnet2'),
      ipRange: '10.52.0.0/16',
      subnet: '10.52.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 24000 + (process.pid % 1000),
      peers: [],
    });
    const nic = await node.backends.network.attach({ netId: nr.netId, machine: '7-2-vm', ip: '10.52.2.8', kind: 'tap' });
    const machines = node.backends.machines;
    try {
      const first = await machines.run({ id: '7-2-vm', name: 'again', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [], nic });
      expect(await fetchInNs(nr.netns, '10.52.2.8', 90_000)).toBe('vm again\n');
      // A running VM is left as it is.
      expect((await machines.restart('7-2-vm')).pid).toBe(first.pid);

      process.kill(first.pid as number, 'SIGKILL');
      let st = await machines.status('7-2-vm');
      for (let i = 0; i < 100 && st?.state !== 'exited'; i++) {
        await sleep(100);
        st = await machines.status('7-2-vm');
      }
      expect(st?.state).toBe('exited');
      expect(await fetchInNs(nr.netns, '10.52.2.8', 1_000)).toBe('');

      const again = await machines.restart('7-2-vm');
      expect(again.state).toBe('running');
      expect(again.restarts).toBe(1);
      expect(again.pid).not.toBe(first.pid);
      expect(isAlive(first.pid as number)).toBe(false);
      expect(await fetchInNs(nr.netns, '10.52.2.8', 90_000)).toBe('vm again\n');
    } finally {
      await machines.remove('7-2-vm');
      await node.backends.network.detach('7-2-vm');
    }
    expect(execFileSync('ip', ['-n', nr.netns, '-o', 'link'], { encoding: 'utf8' })).not.toContain(nic.ifname);
  });
});
