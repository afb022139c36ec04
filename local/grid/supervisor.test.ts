/** Detached daemons tracked by PID + start time; stopping by PID only. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, isRunning, processStartTime, spawnDaemon, stopProcess, tailFile } from './supervisor';
import { logLine, tcpOpen, waitUntil } from './readiness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-sup-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('supervisor', () => {
  it('starts a detached daemon that logs to its file and stops it by PID', async () => {
    const logFile = path.join(dir, 'echo.log');
    const rec = spawnDaemon({
      name: 'sleeper',
      command: process.execPath,
      args: ['-e', 'console.log("hello from daemon"); setInterval(() => {}, 1000)'],
      logFile,
    });
    expect(rec.startTime).toMatch(/^\d+$/);
    await waitUntil(logLine(logFile, /hello from daemon/), { what: 'daemon greeting', timeoutMs: 10000, process: rec });
    expect(isRunning(rec)).toBe(true);
    expect(await stopProcess(rec)).toBe('stopped');
    expect(isRunning(rec)).toBe(false);
    expect(await stopProcess(rec)).toBe('not-running');
  });

  it('kills a daemon that ignores SIGTERM after the grace period', async () => {
    const logFile = path.join(dir, 'stubborn.log');
    const rec = spawnDaemon({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', 'process.on("SIGTERM", () => {}); console.log("armed"); setInterval(() => {}, 1000)'],
      logFile,
    });
    await waitUntil(logLine(logFile, /armed/), { what: 'stubborn armed', timeoutMs: 10000, process: rec });
    expect(await stopProcess(rec, 300)).toBe('killed');
    expect(isRunning(rec)).toBe(false);
  });

  it('never signals a recycled PID: a record with another start time is not ours', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toBeDefined();
    const forged = { name: 'x', pid: process.pid, startTime: String(Number(mine) + 1), logFile: '', command: [] };
    expect(isRunning(forged)).toBe(false);
  });

  it('ends a readiness wait at once when the process dies, quoting its log', async () => {
    const logFile = path.join(dir, 'dies.log');
    const rec = spawnDaemon({ name: 'dies', command: process.execPath, args: ['-e', 'console.error("boom: bad config"); process.exit(3)'], logFile });
    await expect(waitUntil(async () => false, { what: 'dies ready', timeoutMs: 20000, process: rec })).rejects.toThrow(/exited before it was ready[\s\S]*boom: bad config/);
    expect(tailFile(logFile)).toContain('boom: bad config');
  });

  it('times out with the thing it waited for named', async () => {
    const port = await freePort();
    expect(await tcpOpen('127.0.0.1', port)).toBe(false);
    await expect(waitUntil(() => tcpOpen('127.0.0.1', port), { what: `relay on port ${port}`, timeoutMs: 300 })).rejects.toThrow(`relay on port ${port}: not ready after`);
  });
});
