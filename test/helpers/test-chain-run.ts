/**
 * The run's shared local chain (one chopsticks per jest run), started on first use by whichever process
 * needs it first (global setup or a test worker) under a lock file, and stopped by global teardown by PID.
 * Runs that never touch the chain never start one. The chopsticks process sits under a watchdog that stops
 * it if the jest process dies, so a killed run leaves nothing behind.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAlive, startLocalChain, stopPid } from '../../local/chain';

/** What the run started; teardown stops it. Add fields, never rename. */
export interface TestRunState {
  chainUrl?: string;
  chainPid?: number;
  [key: string]: unknown;
}

/** The jest parent's pid: set by global setup, inherited by workers. */
export function testRunPid(): number {
  return Number(process.env.TFGRID_TEST_RUN_PID ?? process.pid);
}

export function testStatePath(runPid = testRunPid()): string {
  return path.join(os.tmpdir(), `tfgrid-test-run-${runPid}.json`);
}

export function readTestRunState(runPid = testRunPid()): TestRunState {
  try {
    return JSON.parse(fs.readFileSync(testStatePath(runPid), 'utf8')) as TestRunState;
  } catch {
    return {};
  }
}

function writeState(patch: TestRunState, runPid = testRunPid()): void {
  const file = testStatePath(runPid);
  fs.writeFileSync(file + '.tmp', JSON.stringify({ ...readTestRunState(runPid), ...patch }));
  fs.renameSync(file + '.tmp', file);
}

function tryLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const holder = Number(fs.readFileSync(lock, 'utf8') || '0');
    if (holder && !isAlive(holder)) {
      fs.rmSync(lock, { force: true }); // the holder died mid-start
      return tryLock(lock);
    }
    return false;
  }
}

/**
 * The shared chain's ws URL, starting it if this run has none yet. `TFGRID_TEST_CHAIN_URL` (set by hand)
 * points every test at an already running chain instead.
 */
export async function ensureTestChain(): Promise<string> {
  if (process.env.TFGRID_TEST_CHAIN_URL) return process.env.TFGRID_TEST_CHAIN_URL;
  const runPid = testRunPid();
  const lock = testStatePath(runPid) + '.lock';
  const deadline = Date.now() + 180_000;
  for (;;) {
    const s = readTestRunState(runPid);
    if (s.chainUrl && s.chainPid && isAlive(s.chainPid)) return s.chainUrl;
    if (tryLock(lock)) {
      try {
        const again = readTestRunState(runPid);
        if (again.chainUrl && again.chainPid && isAlive(again.chainPid)) return again.chainUrl;
        const chain = await startLocalChain({ logFile: path.join(os.tmpdir(), `tfgrid-test-chain-${runPid}.log`), exitWith: runPid });
        writeState({ chainUrl: chain.url, chainPid: chain.pid }, runPid);
        return chain.url;
      } finally {
        fs.rmSync(lock, { force: true });
      }
    }
    if (Date.now() > deadline) throw new Error(`test chain: another process holds ${lock} for too long`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops what the run started (global teardown) and removes its files. */
export async function stopTestRun(runPid = testRunPid()): Promise<void> {
  const s = readTestRunState(runPid);
  if (s.chainPid) await stopPid(s.chainPid);
  fs.rmSync(testStatePath(runPid), { force: true });
  fs.rmSync(testStatePath(runPid) + '.lock', { force: true });
}
