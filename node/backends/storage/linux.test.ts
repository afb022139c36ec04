/** The storage behaviour suite on sparse file + ext4 + loop (root; machine.md loop devices). */
import { describeWithTools } from '../../../test/helpers/require-tools';
import { createLinuxStorage, hasFilesystem } from './linux';
import { describeStorageBackend } from './storage.suite';

describeStorageBackend('linux', (dir) => createLinuxStorage({ dir }), {}, describeWithTools(['losetup', 'mkfs.ext4', 'resize2fs', 'mount'], { root: true }));

describeWithTools(['losetup', 'mkfs.ext4', 'resize2fs'], { root: true })('linux storage: filesystem', () => {
  it('creates a raw sparse disk, formats it on first mount, grows the ext4 with the image, and leaves no loop device', async () => {
    const { promises: fs } = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-storage-'));
    const storage = createLinuxStorage({ dir });
    const d = await storage.create({ id: '7-9-fs', kind: 'zmount', size: 64n << 20n });
    expect(await hasFilesystem(d.image)).toBe(false); // a raw disk until a container mounts it (VMs get it raw)
    expect((await fs.stat(d.image)).blocks).toBe(0);
    const before = await fs.statfs(await storage.mount(d.id));
    await storage.unmount(d.id);
    await storage.grow(d.id, 256n << 20n);
    const after = await fs.statfs(await storage.mount(d.id));
    expect(after.blocks * after.bsize).toBeGreaterThan(before.blocks * before.bsize * 3);
    await storage.remove(d.id);
    const { execFileSync } = await import('child_process');
    expect(execFileSync('losetup', ['-j', d.image], { encoding: 'utf8' }).trim()).toBe('');
    expect(execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' })).not.toContain(dir);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describeWithTools(['losetup', 'mkfs.ext4', 'resize2fs', 'e2fsck'], { root: true })('linux storage: a disk left by a crash', () => {
  it('grows an ext4 that was never cleanly unmounted (the node died while a container had it mounted)', async () => {
    const { promises: fs } = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-storage-'));
    const storage = createLinuxStorage({ dir });
    const live = await storage.create({ id: '7-9-live', kind: 'zmount', size: 64n << 20n });
    const crashed = await storage.create({ id: '7-9-crashed', kind: 'zmount', size: 64n << 20n });
    const file = path.join(await storage.mount(live.id), 'data');
    await fs.writeFile(file, 'kept');
    (await import('child_process')).execFileSync('sync', ['-f', file]); // in the journal, as a crashed node leaves it
    // the image as the disk holds it at the moment of the crash: mounted, so not marked clean
    await fs.copyFile(live.image, crashed.image);
    await storage.grow(crashed.id, 128n << 20n);
    const mp = await storage.mount(crashed.id);
    expect(await fs.readFile(path.join(mp, 'data'), 'utf8')).toBe('kept');
    expect((await fs.statfs(mp)).blocks * (await fs.statfs(mp)).bsize).toBeGreaterThan(100 << 20);
    await storage.remove(live.id);
    await storage.remove(crashed.id);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describeWithTools(['losetup', 'mkfs.ext4', 'mount', 'umount'], { root: true })('linux storage: a mount that outlives its unmount', () => {
  it('mounts a disk again on the loop device a lingering mount still holds, so the data written there is seen', async () => {
    const { promises: fs } = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const { execFileSync } = await import('child_process');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-storage-'));
    const lingering = path.join(dir, 'lingering');
    await fs.mkdir(lingering);
    const storage = createLinuxStorage({ dir });
    const d = await storage.create({ id: '7-9-linger', kind: 'zmount', size: 64n << 20n });
    try {
      // a machine's mount namespace that has not gone yet when the disk is unmounted: a second mount of its ext4
      execFileSync('mount', ['--bind', await storage.mount(d.id), lingering]);
      await storage.unmount(d.id);
      await fs.writeFile(path.join(lingering, 'note'), 'written-by-v1'); // the old machine's last write, not yet on the image
      const mp = await storage.mount(d.id);
      expect(await fs.readFile(path.join(mp, 'note'), 'utf8')).toBe('written-by-v1');
      expect(execFileSync('losetup', ['-j', d.image], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(1);
    } finally {
      execFileSync('umount', [lingering]);
      await storage.remove(d.id);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
