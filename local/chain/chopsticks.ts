/**
 * Runs chopsticks with the TFChain runtime on 127.0.0.1 (rmb-tfchain.md §C3): instant block building, a free
 * port unless one is given. Ready means the RPC answers `system_chain` (no sleep-and-hope); `stop()` ends the
 * child by PID (SIGTERM, then SIGKILL after a grace period).
 * @module
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { freePort } from '../../protocol/common/processes';
import * as path from 'path';
import WebSocket from 'ws';
import { ChainError, InputError } from '../../protocol/common/errors';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { resolveChainSpec } from './artefacts';

export interface LocalChainOptions {
  /** 0 or undefined: a free port. */
  port?: number;
  /** Chain spec path; default `resolveChainSpec()`. */
  spec?: string;
  /** Where chopsticks' output goes (appended); default: discarded after the last 64 KiB kept for errors. */
  logFile?: string;
  log?: Logger;
  readyTimeoutMs?: number;
  /**
   * Run detached under a tiny watchdog that stops chopsticks when process `exitWith` is gone (so a killed
   * test run leaves nothing behind). `pid` is then the watchdog's; stopping it stops chopsticks.
   */
  exitWith?: number;
}

export interface LocalChain {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly spec: string;
  /** Resolves when the process exits (code or signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function chopsticksBin(): string {
  // The package's `exports` hide package.json: walk up from its main entry to the folder holding the bin.
  let dir = path.dirname(require.resolve('@acala-network/chopsticks'));
  while (!fs.existsSync(path.join(dir, 'chopsticks.cjs'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new InputError('@acala-network/chopsticks has no chopsticks.cjs bin', { fix: 'run `npm ci`' });
    dir = up;
  }
  return path.join(dir, 'chopsticks.cjs');
}

/** One JSON-RPC call over a fresh websocket; rejects on error or timeout. */
export function rpcCall(url: string, method: string, params: unknown[] = [], timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${method} on ${url}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
    ws.on('message', (data) => {
      clearTimeout(timer);
      ws.close();
      try {
        const m = JSON.parse(String(data)) as { result?: unknown; error?: { message?: string } };
        if (m.error) reject(new Error(`${method}: ${m.error.message ?? 'error'}`));
        else resolve(m.result);
      } catch (err) {
        reject(err);
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Watchdog (plain JS, run with `node -e`): spawns argv[2..] with inherited stdio, forwards SIGTERM/SIGINT,
 * and stops the child when process argv[1] no longer exists; exits with the child.
 */
const WATCHDOG_JS = `
const { spawn } = require('child_process');
const [watch, cmd, ...args] = process.argv.slice(1);
const child = spawn(cmd, args, { stdio: 'inherit' });
const stop = () => { try { child.kill('SIGTERM'); } catch {} setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 5000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => { try { process.kill(Number(watch), 0); } catch { stop(); } }, 1000).unref();
child.on('exit', (code) => process.exit(code === null ? 1 : code));
`;

/**
 * Ready also means block #1 exists. Until then the chain reports a genesis hash computed from the header,
 * while the runtime checks signatures against `System.BlockHash(0)` from genesis storage (0x4545…): a client
 * that connects at head #0 caches the wrong genesis hash and every signature it makes fails with `badProof`.
 * Block #1 also runs the runtime-upgrade migrations.
 */
export async function hasFirstBlock(url: string): Promise<boolean> {
  const head = (await rpcCall(url, 'chain_getHeader', [], 5000)) as { number?: string } | null;
  if (head && Number(head.number) >= 1) return true;
  await rpcCall(url, 'dev_newBlock', [{ count: 1 }], 60_000);
  return false;
}

function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  return exited.then(() => clearTimeout(t));
}

/**
 * How chopsticks runs everywhere (tests, `tfgrid local chain`, the grid's chain daemon): the node binary, its
 * arguments (the spec, 127.0.0.1:`port`, a block per extrinsic) and its environment.
 */
export function chopsticksCommand(spec: string, port: number): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: process.execPath,
    args: [chopsticksBin(), '--genesis', spec, '--host', '127.0.0.1', '--port', String(port), '--build-block-mode', 'Instant'],
    env: { ...process.env, LOG_LEVEL: process.env.CHOPSTICKS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'warn' },
  };
}

/**
 * Starts chopsticks and resolves once its RPC answers.
 * @example const chain = await startLocalChain({}); … await chain.stop();
 */
export async function startLocalChain(opts: LocalChainOptions = {}): Promise<LocalChain> {
  const log = opts.log ?? silentLogger;
  const spec = opts.spec ?? (await resolveChainSpec({ log }));
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const { args, env } = chopsticksCommand(spec, port);
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : opts.exitWith !== undefined ? 'ignore' : 'pipe';
  const child =
    opts.exitWith === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', out, out], env })
      : spawn(process.execPath, ['-e', WATCHDOG_JS, String(opts.exitWith), process.execPath, ...args], {
          stdio: ['ignore', out, out],
          env,
          detached: true,
        });
  if (opts.exitWith !== undefined) child.unref();
  if (typeof out === 'number') fs.closeSync(out);
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new ChainError('could not start chopsticks', { fix: 'check that node can run node_modules/@acala-network/chopsticks' });
  const pid = child.pid;
  log.info('chopsticks started', { pid, port, spec });

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (dead) {
      const hint = /EADDRINUSE/.test(tail) ? `; port ${port} is in use, pick another with --port` : '';
      throw new ChainError(`chopsticks exited before its RPC was ready${hint}: ${tail.trim().split('\n').slice(-5).join(' | ')}`, {
        fix: opts.logFile ? `see ${opts.logFile}` : 'run `tfgrid local chain` to see its output',
      });
    }
    try {
      const name = await rpcCall(url, 'system_chain', [], 2000);
      if (typeof name === 'string' && (await hasFirstBlock(url))) break;
    } catch {
      // not listening yet, or block #1 still being built
    }
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new ChainError(`chopsticks on ${url} did not answer within ${opts.readyTimeoutMs ?? 90_000} ms`, { fix: 'the machine may be overloaded; retry' });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log.info('local chain ready', { url });
  if (opts.exitWith !== undefined) {
    child.stdout?.removeListener('data', keep);
    child.stderr?.removeListener('data', keep);
  }
  return { url, port, pid, spec, exited, stop: () => stopChild(child, exited) };
}
