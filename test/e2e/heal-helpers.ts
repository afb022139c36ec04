/** What the grid-heal tests (sim and linux) share: killing a daemon for good, and the CLI run verb by verb. */
import { isRunning, type ProcessRecord } from '../../local/grid/supervisor';
import { runCli as runCliOnce } from '../helpers/run-cli';

/** SIGKILL, as an OOM kill or a crash would, and wait until the recorded process is gone. */
export async function killHard(p: ProcessRecord | undefined): Promise<void> {
  if (!p) throw new Error('no process recorded');
  process.kill(p.pid, 'SIGKILL');
  for (let i = 0; i < 200 && isRunning(p); i++) await new Promise((r) => setTimeout(r, 25));
  expect(isRunning(p)).toBe(false);
}

/** The CLI in process; `process.exitCode` set by one verb (status: 3) must not leak into the next. */
export async function runCli(args: string[]) {
  process.exitCode = undefined;
  try {
    return await runCliOnce(args);
  } finally {
    process.exitCode = undefined;
  }
}
