/**
 * A `vm-image` machine (zos-protocol.md §6.3 `/image.raw`): the image is written onto the first disk (a raw zmount
 * without a filesystem), qemu TCG boots it from that disk, and it answers on its private IP. Slow: its own file.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { useScratchNode } from './fixtures';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { buildVmImageRootfs } from '../../local/hub/vm-flist';

jest.setTimeout(180_000);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl', 'extlinux', 'blkid'], { root: true })('VM-image machine', () => {
  const node = useScratchNode('i', { qemuMaxSeconds: 170 });

  it('writes a vm-image flist onto its first disk, boots it and answers on its IP', async () => {
    const flist = await node.backends.flists.resolve(await buildVmImageRootfs(path.join(node.dir, 'img-flist'), { ip: '10.50.2.8', gateway: '10.50.2.1', mask: '255.255.255.0' }));
    expect(flist.mode).toBe('vm-image');
    const nr =
      (await node.backends.network.get(networkId(7, 'vmnet'))) ??
      (await node.backends.network.apply({
        netId: networkId(7, 'vmnet'),
        ipRange: '10.50.0.0/16',
        subnet: '10.50.2.0/24',
        wgPrivateKey: wgKeyPair().privateKey,
        wgListenPort: 27000 + (process.pid % 1000),
        peers: [],
      }));
    const disk = await node.backends.storage.create({ id: '7-1-boot', kind: 'zmount', size: 128n << 20n });
    const nic = await node.backends.network.attach({ netId: nr.netId, machine: '7-1-img', ip: '10.50.2.8', kind: 'tap' });
    await node.backends.machines.run({
      id: '7-1-img',
      name: 'img',
      flist,
      cpu: 1,
      memory: 256n << 20n,
      entrypoint: '',
      env: {},
      mounts: [{ source: disk.image, target: '/boot-disk', disk: true }],
      nic,
    });
    let page = '';
    for (let i = 0; i < 150 && !page; i++) {
      try {
        page = execFileSync('nsenter', [`--net=/run/netns/${nr.netns}`, 'curl', '-sS', '-m', '1', 'http://10.50.2.8/'], { encoding: 'utf8', stdio: 'pipe' });
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(page).toBe('vm img\n');
    await node.backends.machines.remove('7-1-img');
    await node.backends.network.detach('7-1-img');
    // the disk now holds the image's filesystem
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', disk.image], { encoding: 'utf8' }).trim()).toBe('ext4');
    await node.backends.storage.remove('7-1-boot');
  });
});
