/**
 * The local grid's base flist, built on the machine from busybox-static so examples run offline (DESIGN.md §4
 * Flists). A container rootfs: busybox and its applets, /etc basics, and a `.startup.toml` whose entry keeps the
 * machine running (zos-protocol.md §6.3: entrypoint falls back to `.startup.toml`).
 * @module
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ZosError } from '../../protocol/common/errors';
import { startupToml } from '../../node/backends/flist/docker-image';
import { runCommand } from '../../node/backends/machine/host-command';

/** Debian's busybox-static path. */
export const BUSYBOX = '/bin/busybox';

/** Builds the base rootfs into `dest` (created; must not exist or be empty) and returns `dest`. */
export async function buildBaseRootfs(dest: string, opts: { busybox?: string } = {}): Promise<string> {
  const busybox = opts.busybox ?? BUSYBOX;
  const { stdout } = await runCommand(busybox, ['--list-full']).catch((err: unknown) => {
    throw new ZosError(`base flist needs busybox-static at ${busybox} (apt-get install busybox-static): ${(err as Error).message}`, {}, { cause: err });
  });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'var/www', 'run']) {
    await fs.mkdir(path.join(dest, d), { recursive: true });
  }
  await fs.copyFile(busybox, path.join(dest, 'bin/busybox'));
  await fs.chmod(path.join(dest, 'bin/busybox'), 0o755);
  await fs.chmod(path.join(dest, 'tmp'), 0o1777);
  for (const applet of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (applet === 'bin/busybox') continue;
    const link = path.join(dest, applet);
    const target = path.relative(path.dirname(link), path.join(dest, 'bin/busybox'));
    await fs.mkdir(path.dirname(link), { recursive: true });
    await fs.symlink(target, link).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  await fs.writeFile(path.join(dest, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await fs.writeFile(path.join(dest, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await fs.writeFile(path.join(dest, 'etc/hosts'), '127.0.0.1 localhost\n');
  await fs.writeFile(path.join(dest, 'var/www/index.html'), 'hello from the tfgrid base flist\n');
  // Serves /var/www on :80 and stays up; machines with their own entrypoint replace this.
  await fs.writeFile(path.join(dest, '.startup.toml'), startupToml('/bin/sh -c "httpd -p 80 -h /var/www; exec sleep 2147483647"', { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }));
  return dest;
}
