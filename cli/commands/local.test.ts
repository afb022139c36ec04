/**
 * `tfgrid local chain`: spawned like a user runs it, prints its URL when the RPC answers, serves RPC, and
 * stops chopsticks on Ctrl-C (SIGINT) with exit code 0.
 * @module
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { rpcCall } from '../../local/chain';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tfgrid');

function isAlivePid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('tfgrid local chain', () => {
  it('prints its URL when ready, answers RPC, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'local', 'chain', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          const m = /^(ws:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) {
            clearInterval(t);
            resolve(m[1]);
          }
        }, 100);
        void exited.then(() => {
          clearInterval(t);
          reject(new Error(`exited before ready: ${err}`));
        });
      });
      expect(await rpcCall(url, 'system_chain', [], 5000)).toBe('tfchain_local_chopsticks');
      const pid = Number(/pid (\d+)/.exec(err)?.[1]);
      expect(isAlivePid(pid)).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(isAlivePid(pid)).toBe(false);
      expect(err).toContain('tfchain stopped: SIGINT');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a port that is not a port, with exit code 2', async () => {
    const child = spawn(process.execPath, [BIN, 'local', 'chain', '--port', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('--port x');
  });
});
