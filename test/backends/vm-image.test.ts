/**
 * A `vm-image` machine (zos-protocol.md §6.3 `/image.raw`): the image is written onto the first disk (a raw zmount
 * without a filesystem), qemu TCG boots it from that disk, and it answers on its private IP. Slow: its own file.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLinuxBackends } from '../../node/backends/machine/linux-backends';
import type { LinuxBackends } from '../../node/backends/machine/linux-backends';
import { networkId } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { describeWithTools } from '../helpers/require-tools';
import { buildVmImageFlist } from './vm-kernel-flist';

jest.setTimeout(180_000);

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl', 'extlinux', 'blkid'], { root: true })('VM-image machine', () => {
  let dir: string;
  let hostNetns: string;
  let b: LinuxBackends;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-vmimg-'));
    const prefix = `i${(process.pid % 1296).toString(36)}`;
    hostNetns = `${prefix}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
    b = createLinuxBackends({ prefix, dataDir: path.join(dir, 'node'), hostNetns, qemu: { maxSeconds: 170 } });
  });
  afterAll(async () => {
    await b?.close();
    execFileSync('ip', ['netns', 'del', hostNetns]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a vm-image flist onto its first disk, boots it and answers on its IP', async () => {
    const flist = await b.flists.resolve(await buildVmImageFlist(dir, { ip: '10.50.2.8', gateway: '10.50.2.1', mask: '255.255.255.0' }));
    expect(flist.mode).toBe('vm-image');
    const nr = (await b.network.get(networkId(7, 'vmnet'))) ?? (await b.network.apply({ netId: networkId(7, 'vmnet'), ipRange: '10.50.0.0/16', subnet: '10.50.2.0/24', wgPrivateKey: wgKeyPair().privateKey, wgListenPort: 27000 + (process.pid % 1000), peers: [] }));
    const disk = await b.storage.create({ id: '7-1-boot', kind: 'zmount', size: 128n << 20n });
    const nic = await b.network.attach({ netId: nr.netId, machine: '7-1-img', ip: '10.50.2.8', kind: 'tap' });
    await b.machines.run({ id: '7-1-img', name: 'img', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [{ source: disk.image, target: '/boot-disk', disk: true }], nic });
    let page = '';
    for (let i = 0; i < 150 && !page; i++) {
      try {
        page = execFileSync('nsenter', [`--net=/run/netns/${nr.netns}`, 'curl', '-sS', '-m', '1', 'http://10.50.2.8/'], { encoding: 'utf8', stdio: 'pipe' });
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(page).toBe('vm img\n');
    await b.machines.remove('7-1-img');
    await b.network.detach('7-1-img');
    // the disk now holds the image's filesystem
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', disk.image], { encoding: 'utf8' }).trim()).toBe('ext4');
    await b.storage.remove('7-1-boot');
  });
});
