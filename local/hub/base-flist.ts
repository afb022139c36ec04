/**
 * The local grid's base flist, built on the machine from busybox-static so examples run offline (DESIGN.md §4
 * Flists). A container rootfs: busybox and its applets, /etc basics, and a `.startup.toml` whose entry keeps the
 * machine running (zos-protocol.md §6.3: entrypoint falls back to `.startup.toml`).
 *
 * `wget` is a small script around busybox's: Debian's busybox-static (1.35) is built without
 * FEATURE_WGET_TIMEOUT, yet its wget still parses `-T SEC` and stores the number through the NULL pointer it
 * passes in place of the timeout variable, so any `wget -T …` dies with SIGSEGV (exit 139) before it opens a
 * socket, on the host, in a chroot and in a container alike. The script takes the timeout off the command line
 * and bounds the run with busybox `timeout`, so `wget -T 5 URL` works as people write it.
 * @module
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ZosError } from '../../protocol/common/errors';
import { startupToml } from '../../node/backends/flist/docker-image';
import { runCommand } from '../../node/backends/machine/host-command';

/** Debian's busybox-static path. */
export const BUSYBOX = '/bin/busybox';

/** PATH inside the hub's flists (their `.startup.toml` env). */
export const FLIST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * `/usr/bin/wget` in the base flist: `-T SEC`, `-TSEC`, `--timeout SEC` and `--timeout=SEC` become a busybox
 * `timeout` around busybox wget (the whole run, where GNU wget bounds each read); SEC 0 means none, as in wget.
 * Arguments of options that take one pass through untouched, so `-O -T` still names a file.
 */
export const WGET_SCRIPT = `#!/bin/sh
# tfgrid base flist: busybox-static's wget segfaults on -T (built without FEATURE_WGET_TIMEOUT); see base-flist.ts.
t=
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case $a in
    -T|--timeout)
      if [ "$n" -eq 0 ]; then echo "wget: option requires an argument: $a" >&2; exit 1; fi
      t=$1; shift; n=$((n - 1)) ;;
    -T*) t=\${a#-T} ;;
    --timeout=*) t=\${a#--timeout=} ;;
    -O|-o|-P|-Y|-U|-t|--header|--post-data|--post-file|--output-document|--output-file|--directory-prefix|--proxy|--user-agent|--tries)
      set -- "$@" "$a"
      if [ "$n" -gt 0 ]; then set -- "$@" "$1"; shift; n=$((n - 1)); fi ;;
    --)
      set -- "$@" "$a"
      while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done ;;
    *) set -- "$@" "$a" ;;
  esac
done
case $t in
  '') exec /bin/busybox wget "$@" ;;
  *[!0-9]*) echo "wget: invalid number '$t'" >&2; exit 1 ;;
esac
[ "$t" -eq 0 ] && exec /bin/busybox wget "$@"
# ash reports a child killed by a signal ("Terminated") on its stderr, which is /dev/null meanwhile; the
# subshell execs, so that child is wget itself, writing to the real stderr (fd 3)
exec 3>&2 2>/dev/null
(exec /bin/busybox timeout "$t" /bin/busybox wget "$@" 2>&3 3>&-)
rc=$?
exec 2>&3 3>&-
# busybox timeout ends wget with SIGTERM: 128 + 15
if [ "$rc" -eq 143 ]; then echo "wget: download timed out" >&2; exit 1; fi
exit "$rc"
`;

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
  for (const applet of stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    if (applet === 'bin/busybox') continue;
    if (path.basename(applet) === 'wget') {
      await fs.mkdir(path.dirname(path.join(dest, applet)), { recursive: true });
      await fs.writeFile(path.join(dest, applet), WGET_SCRIPT);
      await fs.chmod(path.join(dest, applet), 0o755);
      continue;
    }
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
  await fs.writeFile(path.join(dest, '.startup.toml'), startupToml('/bin/sh -c "httpd -p 80 -h /var/www; exec sleep 2147483647"', { PATH: FLIST_PATH }));
  return dest;
}
