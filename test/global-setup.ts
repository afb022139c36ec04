/**
 * Jest global setup (docs/style.md §6, rmb-tfchain.md §C): marks this jest process as the owner of the run
 * (`TFGRID_TEST_RUN_PID`, inherited by workers) and runs the setup steps. The shared local chain is one
 * chopsticks per run, started by `ensureTestChain()` on first use (test/helpers/test-chain-run.ts), so
 * runs without chain tests pay nothing. `TFGRID_TEST_EAGER_CHAIN=1` starts it here instead. Later areas
 * (relay, nodes) append their steps to SETUP_STEPS; each step is a small async function.
 * @module
 */
import { addEscapeGuard, canGuard } from './helpers/escape-guard';
import { ensureTestChain, testRunPid } from './helpers/test-chain-run';

export type SetupStep = () => Promise<void>;

/** Step: start the shared chain now. */
export async function setupChain(): Promise<void> {
  await ensureTestChain();
}

/**
 * Step: the root namespace drops traffic to the grid's ranges for the whole run (test/helpers/escape-guard.ts),
 * so a dial from the wrong namespace fails at once. Idempotent; stale routes of dead runs are swept.
 */
export async function setupEscapeGuard(): Promise<void> {
  if (!canGuard()) {
    console.warn('escape guard off: not root on Linux (grids run the sim backend)');
    return;
  }
  addEscapeGuard(testRunPid());
}

/** The steps global setup runs, in order. */
export const SETUP_STEPS: SetupStep[] = [setupEscapeGuard, ...(process.env.TFGRID_TEST_EAGER_CHAIN === '1' ? [setupChain] : [])];

export default async function globalSetup(): Promise<void> {
  process.env.TFGRID_TEST_RUN_PID = String(testRunPid());
  for (const step of SETUP_STEPS) await step();
}
