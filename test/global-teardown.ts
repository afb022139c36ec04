/**
 * Jest global teardown: stops what the run started (the shared chain, by PID), removes its state file and the
 * run's escape-guard routes (a killed run's routes are removed by the guard's watchdog). @module
 */
import { canGuard, removeEscapeGuard } from './helpers/escape-guard';
import { stopTestRun, testRunPid } from './helpers/test-chain-run';

export default async function globalTeardown(): Promise<void> {
  await stopTestRun();
  if (canGuard()) removeEscapeGuard(testRunPid());
}
