/** Jest global teardown: stops what the run started (the shared chain, by PID) and removes its state file. @module */
import { stopTestRun } from './helpers/test-chain-run';

export default async function globalTeardown(): Promise<void> {
  await stopTestRun();
}
