/**
 * The machine behaviour suite on runc + overlay + cgroup v1 (root; machine.md runc), then what only the Linux
 * backend does: `restart` runs an ended container again on its kept writable root (zosbase vm monitor restarts a
 * stopped VM with its disks), and `rootSize` (zos-protocol.md §6.3 RootSize) caps that writable root with a
 * fixed-size ext4 image (machine.md: no quotas), removed with the machine.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../../local/hub/base-flist';
import { describeWithTools } from '../../../test/helpers/require-tools';
import type { ResolvedFlist } from '../flist/flist';
import { createLinuxFlists } from '../flist/linux';
import { createLinuxMachines, machineNames } from './linux';
import type { MachineBackend, MachineSpec } from './machine';
import { describeMachineBackend } from './machine.suite';

const MiB = 1n << 20n;

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

/** Loop devices whose backing file lies under `dir`. */
function loopsUnder(dir: string): string[] {
  return execFileSync('losetup', ['-l', '-n', '-O', 'NAME,BACK-FILE'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/, 2))
    .filter(([dev, file]) => dev && file?.startsWith(dir + '/'))
    .map(([dev]) => dev);
}

describeWithTools(['runc', 'busybox', 'mount', 'losetup', 'mkfs.ext4'], { root: true })('MachineBackend: linux restart and root size', () => {
  let dir: string;
  let flist: ResolvedFlist;
  let m: MachineBackend;
  const prefix = `q${(process.pid % 46656).toString(36)}`;
  const spec = (id: string, over: Partial<MachineSpec> = {}): MachineSpec => ({
    id,
    name: id.split('-').pop() as string,
    flist,
    cpu: 1,
    memory: 128n * MiB,
    entrypoint: '',
    env: {},
    mounts: [],
    ...over,
  });
  const eventually = async (fn: () => Promise<boolean>) => {
    for (let i = 0; i < 150; i++) {
      if (await fn()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  const upperOf = (id: string, withImage: boolean) =>
    withImage ? path.join(dir, 'machines', 'rootfs', 'mnt', machineNames(prefix).dirName(id), 'upper') : path.join(dir, 'machines', machineNames(prefix).dirName(id), 'upper');

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-mach2-'));
    flist = await createLinuxFlists({ dir: path.join(dir, 'flists') }).resolve(await buildBaseRootfs(path.join(dir, 'base')));
    m = createLinuxMachines({ prefix, dir: path.join(dir, 'machines') });
  });
  afterAll(async () => {
    await m?.close();
    const mounted = (await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(dir);
    const loops = loopsUnder(dir);
    await fs.rm(dir, { recursive: true, force: true });
    expect(mounted).toBe(false);
    expect(loops).toEqual([]);
  });

  it.each([
    ['on the host directory', undefined],
    ['on a root-size image', 64n * MiB],
  ])('restarts an exited container with what it wrote to its root (%s)', async (_where, rootSize) => {
    const id = `7-1-again${rootSize ? 'i' : 'h'}`;
    const once = '/bin/sh -c "echo run >> /runs; echo runs=$(wc -l < /runs); exit 1"';
    await m.run(spec(id, { entrypoint: once, ...(rootSize ? { rootSize } : {}) }));
    expect(await eventually(async () => (await m.status(id))?.state === 'exited')).toBe(true);
    for (let n = 1; n <= 2; n++) {
      const st = await m.restart(id);
      expect(['running', 'exited']).toContain(st.state);
      expect(st.restarts).toBe(n);
      expect(await eventually(async () => (await m.status(id))?.state === 'exited')).toBe(true);
    }
    const st = await m.status(id);
    expect(st).toMatchObject({ state: 'exited', exitCode: 1, restarts: 2 });
    expect(await m.logs(id)).toMatch(/runs=1\s+runs=2\s+runs=3\s*$/);
    expect(await fs.readFile(path.join(upperOf(id, !!rootSize), 'runs'), 'utf8')).toBe('run\nrun\nrun\n');
    await m.remove(id);
    expect(await m.status(id)).toBeUndefined();
  });

  it('caps the writable root at rootSize: writing beyond fails with ENOSPC inside, the host is untouched', async () => {
    const id = '7-1-full';
    const fill = '/bin/sh -c "dd if=/dev/zero of=/big bs=1M count=64 2>&1; echo dd-exit=$?; df -k / | tail -1; exec sleep 100000"';
    await m.run(spec(id, { rootSize: 32n * MiB, entrypoint: fill }));
    expect(await eventually(async () => (await m.logs(id)).includes('dd-exit='))).toBe(true);
    const out = await m.logs(id);
    expect(out).toContain('No space left on device');
    expect(out).toMatch(/dd-exit=[1-9]/);
    const disk = machineNames(prefix).dirName(id);
    const image = path.join(dir, 'machines', 'rootfs', `${disk}.img`);
    expect((await fs.stat(image)).size).toBe(32 * 1024 * 1024);
    expect(loopsUnder(dir)).toHaveLength(1);
    // what did get written stayed inside the image's 32 MiB
    const written = (await fs.stat(path.join(upperOf(id, true), 'big'))).size;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(32 * 1024 * 1024);
    await m.remove(id);
    expect(existsSync(image)).toBe(false);
    expect(loopsUnder(dir)).toEqual([]);
    expect((await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(path.join(dir, 'machines', 'rootfs'))).toBe(false);
  });

  it('starts a container that ended while the node was down again on its kept root, once', async () => {
    const id = '7-1-down';
    const once = '/bin/sh -c "echo run >> /runs; echo runs=$(wc -l < /runs); exit 1"';
    await m.run(spec(id, { rootSize: 16n * MiB, entrypoint: once }));
    expect(await eventually(async () => (await m.status(id))?.state === 'exited')).toBe(true);
    // the node restarts: a new backend is asked to run the same machine (boot recovery), then asked again
    const again = createLinuxMachines({ prefix, dir: path.join(dir, 'machines') });
    const st = await again.run(spec(id, { rootSize: 16n * MiB, entrypoint: once }));
    expect(['running', 'exited']).toContain(st.state);
    expect(st.restarts).toBeUndefined();
    await again.run(spec(id, { rootSize: 16n * MiB, entrypoint: once }));
    expect(await eventually(async () => (await again.status(id))?.state === 'exited')).toBe(true);
    expect(await fs.readFile(path.join(upperOf(id, true), 'runs'), 'utf8')).toBe('run\nrun\n');
    expect(await again.logs(id)).toMatch(/runs=1\s+runs=2\s*$/);
    await again.remove(id);
    await again.close();
    await m.remove(id);
    expect(loopsUnder(dir)).toEqual([]);
  });

  it('adopts a running container with its root image after a node restart', async () => {
    const id = '7-1-left';
    await m.run(spec(id, { rootSize: 16n * MiB, entrypoint: '/bin/sh -c "echo hi > /left; exec sleep 100000"' }));
    expect(await eventually(async () => existsSync(path.join(upperOf(id, true), 'left')))).toBe(true);
    // a second backend (the node restarted) finds the container running and adopts it with its image
    const again = createLinuxMachines({ prefix, dir: path.join(dir, 'machines') });
    const adopted = await again.run(spec(id, { rootSize: 16n * MiB, entrypoint: '/bin/sh -c "echo hi > /left; exec sleep 100000"' }));
    expect(adopted.state).toBe('running');
    expect(existsSync(path.join(upperOf(id, true), 'left'))).toBe(true);
    await again.remove(id);
    await again.close();
    await m.remove(id);
    expect(loopsUnder(dir)).toEqual([]);
  });
});
