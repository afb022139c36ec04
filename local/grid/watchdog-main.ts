/**
 * A grid watchdog: `watchdog-main <grid dir> <pid>` resets the grid (down, directory removed) once process `pid` is gone. Test runs
 * start a shared grid with `stopWhenPidExits: <jest pid>`, so a finished or killed run leaves nothing behind.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { resetLocalGrid } from './grid';
import { processStartTime } from './supervisor';

export async function main(dir: string, pid: number): Promise<void> {
  while (processStartTime(pid) !== undefined) await new Promise((r) => setTimeout(r, 1000));
  process.stdout.write(`process ${pid} is gone: taking the grid in ${dir} down\n`);
  const r = await resetLocalGrid({ dir, skipPid: process.pid });
  process.stdout.write(`stopped: ${r.stopped.join(', ') || 'nothing'}; namespaces removed: ${r.sweep.namespaces.length}\n`);
}

if (require.main === module) {
  const [dir, pid] = process.argv.slice(2);
  main(dir, Number(pid)).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`watchdog failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
