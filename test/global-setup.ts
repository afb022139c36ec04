/**
 * Jest global setup: ONE local chain (chopsticks + TFChain spec 144) per jest run, shared by every test file
 * (docs/style.md §6, rmb-tfchain.md §C). Steps are small composable functions so the relay and the nodes
 * can be added after the chain; each step records what teardown must stop.
 * The chain URL reaches test workers through `TFGRID_TEST_CHAIN_URL` and a state file (testStatePath()).
 * Set `TFGRID_TEST_CHAIN_URL` yourself to reuse an already running chain (nothing is started then).
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalChain } from '../local/chain';

/** What global setup started; teardown stops it in reverse order. Add fields, never rename. */
export interface TestRunState {
  chainUrl?: string;
  chainPid?: number;
  [key: string]: unknown;
}

export interface TestRun {
  state: TestRunState;
  /** Stop functions, run in reverse order by teardown. */
  stops: Array<() => Promise<void>>;
}

const RUN_KEY = '__TFGRID_TEST_RUN__';

/** The state file of this jest run (keyed by the jest parent process id). */
export function testStatePath(pid = process.pid): string {
  return path.join(os.tmpdir(), `tfgrid-test-run-${pid}.json`);
}

/** Step: start the shared chain (or adopt `TFGRID_TEST_CHAIN_URL`). */
export async function setupChain(run: TestRun): Promise<void> {
  if (process.env.TFGRID_TEST_CHAIN_URL) {
    run.state.chainUrl = process.env.TFGRID_TEST_CHAIN_URL;
    return;
  }
  const logFile = path.join(os.tmpdir(), `tfgrid-test-chain-${process.pid}.log`);
  const chain = await startLocalChain({ logFile });
  run.state.chainUrl = chain.url;
  run.state.chainPid = chain.pid;
  process.env.TFGRID_TEST_CHAIN_URL = chain.url;
  run.stops.push(() => chain.stop());
}

/** The steps global setup runs, in order. Later areas append theirs (relay, nodes). */
export const SETUP_STEPS: Array<(run: TestRun) => Promise<void>> = [setupChain];

export default async function globalSetup(): Promise<void> {
  const run: TestRun = { state: {}, stops: [] };
  (globalThis as Record<string, unknown>)[RUN_KEY] = run;
  for (const step of SETUP_STEPS) await step(run);
  fs.writeFileSync(testStatePath(), JSON.stringify(run.state));
  process.env.TFGRID_TEST_STATE = testStatePath();
}

/** The run started by globalSetup in this process (for teardown). */
export function currentTestRun(): TestRun | undefined {
  return (globalThis as Record<string, unknown>)[RUN_KEY] as TestRun | undefined;
}
