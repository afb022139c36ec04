/** Processes by PID: alive (zombies are not), start time, stop with SIGKILL after the grace, free ports. */
import { spawn } from 'child_process';
import * as net from 'net';
import { freePort, isAlive, processStartTime, stopPid } from './processes';

describe('processes', () => {
  it('tells a live process from an exited one, and a zombie counts as gone', async () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    // the child exits at once and stays a zombie until Node reaps it on the exit event we do not await yet
    const child = spawn('sh', ['-c', 'exit 0']);
    const pid = child.pid!;
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid) && processStartTime(pid) !== undefined).toBe(false);
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the grace', async () => {
    const child = spawn('sh', ['-c', 'trap "" TERM; echo ready; while true; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => child.on('exit', (_code, signal) => r(signal)));
    await new Promise((r) => child.stdout.once('data', r)); // the trap is set
    const pid = child.pid!;
    const started = processStartTime(pid);
    expect(isAlive(pid)).toBe(true);
    await stopPid(pid, 200);
    expect(await exited).toBe('SIGKILL');
    expect(processStartTime(pid) === started && isAlive(pid)).toBe(false);
  });

  it('hands out a port that can be listened on', async () => {
    const port = await freePort();
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    await new Promise((r) => srv.close(r));
  });
});
