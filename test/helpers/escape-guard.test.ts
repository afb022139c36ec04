/**
 * The run's escape guard (test/helpers/escape-guard.ts, issue 18.2): while tests run, the root namespace
 * refuses the grid's ranges at once; setup is idempotent and sweeps a dead run's routes; a run that dies has
 * its routes removed by the watchdog.
 */
import { spawn } from 'child_process';
import * as net from 'net';
import { addEscapeGuard, guardRoutes, GUARDED_RANGES, removeEscapeGuard } from './escape-guard';
import { describeWithTools } from './require-tools';
/** The jest process of this run (global setup exports it to the workers). */
const testRunPid = () => Number(process.env.TFGRID_TEST_RUN_PID);

const rangesOf = (owner: number) =>
  guardRoutes()
    .filter((r) => r.owner === owner)
    .map((r) => r.range)
    .sort();
const ALL = GUARDED_RANGES.map((r) => r.range).sort();

/** A process that lives until killed; its pid owns routes in these tests. */
function sleeper(): { pid: number; kill(): Promise<void> } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  return {
    pid: child.pid!,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

function dialError(host: string): Promise<{ code: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(80, host);
    s.once('connect', () => (s.destroy(), resolve({ code: 'connected', ms: Date.now() - t0 })));
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ code: String(e.code), ms: Date.now() - t0 }));
  });
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeWithTools(['ip'], { root: true })('test run escape guard', () => {
  it('is on for this run: a dial to the grid from the root namespace fails at once', async () => {
    expect(rangesOf(testRunPid())).toEqual(ALL);
    for (const host of ['198.18.0.11', '198.19.255.1', '200::1', '400::1']) {
      const r = await dialError(host);
      expect(r.code).toBe('EHOSTUNREACH');
      expect(r.ms).toBeLessThan(1000); // no timeout: refused right away
    }
  });

  it('setup is idempotent and sweeps the routes of a run that is gone', async () => {
    const dead = sleeper();
    const live = sleeper();
    try {
      addEscapeGuard(dead.pid);
      await dead.kill(); // a run killed so hard its watchdog is not there yet to clean up
      const first = addEscapeGuard(live.pid);
      expect(first.swept).toContain(dead.pid);
      expect(rangesOf(dead.pid)).toEqual([]);
      addEscapeGuard(live.pid);
      expect(rangesOf(live.pid)).toEqual(ALL); // once each, however often setup runs
      removeEscapeGuard(live.pid);
      expect(rangesOf(live.pid)).toEqual([]);
      expect(rangesOf(testRunPid())).toEqual(ALL); // other runs' routes are left alone
    } finally {
      await dead.kill();
      await live.kill();
      removeEscapeGuard(dead.pid);
      removeEscapeGuard(live.pid);
    }
  });

  it('the watchdog removes the routes of a run that dies without teardown', async () => {
    const run = sleeper();
    try {
      addEscapeGuard(run.pid);
      expect(rangesOf(run.pid)).toEqual(ALL);
      await run.kill();
      await until('the watchdog to remove the routes', () => rangesOf(run.pid).length === 0);
    } finally {
      await run.kill();
      removeEscapeGuard(run.pid);
    }
  });
});
