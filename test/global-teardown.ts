/** Jest global teardown: stops what global setup started, in reverse order, and removes the state file. @module */
import * as fs from 'fs';
import { currentTestRun, testStatePath } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const run = currentTestRun();
  if (run) {
    for (const stop of [...run.stops].reverse()) {
      try {
        await stop();
      } catch (err) {
        process.stderr.write(`global teardown: ${String(err)}\n`);
      }
    }
  }
  fs.rmSync(testStatePath(), { force: true });
}
