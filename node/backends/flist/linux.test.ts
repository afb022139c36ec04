/** The flist behaviour suite on the real backend, plus archive and docker-image sources (zos-protocol.md §6.3). */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeWithTools } from '../../../test/helpers/require-tools';
import { makeDockerArchive } from '../../../test/backends/fixtures';
import { describeFlistBackend } from './flist.suite';
import { createLinuxFlists } from './linux';

const describeTar = describeWithTools(['tar', 'cp']);
describeFlistBackend('linux', (dir) => createLinuxFlists({ dir }), {}, describeTar);

describeTar('linux flists: archives and docker images', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-flist-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('unpacks a .tar.gz rootfs and caches it by the archive bytes', async () => {
    const root = path.join(dir, 'root');
    await fs.mkdir(path.join(root, 'boot'), { recursive: true });
    await fs.writeFile(path.join(root, 'boot/vmlinuz'), 'k');
    const archive = path.join(dir, 'k.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', root, '.']);
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache1') });
    const a = await flists.resolve(archive);
    const b = await flists.resolve(`file://${archive}`);
    expect(a.mode).toBe('vm-kernel');
    expect(b.key).toBe(a.key);
    expect(await fs.readFile(path.join(a.rootfs, 'boot/vmlinuz'), 'utf8')).toBe('k');
    expect(await flists.list()).toEqual([a.key]);
  });

  it('converts a docker image tarball: layers in order, whiteouts applied, entrypoint and env kept', async () => {
    const tarball = await makeDockerArchive(dir);
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache2') });
    const f = await flists.resolve(`docker-archive:${tarball}`);
    expect(f.mode).toBe('container');
    expect(f.startup).toEqual({ entry: "/bin/echo 'hello world'", env: { FOO: 'bar', PATH: '/bin' } });
    expect((await fs.readdir(path.join(f.rootfs, 'etc'))).sort()).toEqual(['b']);
    expect((await fs.readdir(path.join(f.rootfs, 'data'))).sort()).toEqual(['y']);
  });

  it('rejects a file that is neither a tar archive nor an image', async () => {
    const junk = path.join(dir, 'junk.tar.gz');
    await fs.writeFile(junk, 'not an archive');
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache3') });
    await expect(flists.resolve(junk)).rejects.toThrow(/failed to unpack flist .*junk\.tar\.gz/);
    expect(await flists.list()).toEqual([]);
  });
});
