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
    // let a second pass: resize2fs then refuses an ext4 mounted after its last check unless grow checks it first
    await new Promise((r) => setTimeout(r, 1100));
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
