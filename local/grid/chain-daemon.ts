/**
 * The local grid's chain as a detached daemon: chopsticks running the TFChain runtime from the patched
 * spec (rmb-tfchain.md §C3), on 127.0.0.1, instant block building. Ready when `system_chain` answers.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../protocol/common/errors';
import type { Progress } from '../../protocol/common/log';
import { waitUntil, wsRpc } from './readiness';
import { spawnDaemon, type ProcessRecord } from './supervisor';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The patched chain spec: `$TFGRID_CHAIN_SPEC`, else `../shared/tfchain-local-spec144.chainspec.json`. */
export function findChainSpec(): string {
  const candidates = [
    process.env.TFGRID_CHAIN_SPEC,
    path.join(process.env.TFGRID_SHARED_DIR ?? path.join(REPO_ROOT, '..', 'shared'), 'tfchain-local-spec144.chainspec.json'),
  ].filter((p): p is string => !!p);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new InputError(`no local chain spec found (looked at ${candidates.join(', ')})`, {
    fix: 'set TFGRID_CHAIN_SPEC to a patched TFChain spec, or run `tfgrid local chain` once to download and patch one',
  });
}

function chopsticksBin(): string {
  // The package's `exports` hide package.json: walk up from its main entry to the folder holding the bin.
  let dir = path.dirname(require.resolve('@acala-network/chopsticks'));
  while (!fs.existsSync(path.join(dir, 'chopsticks.cjs'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new InputError('@acala-network/chopsticks is installed without its chopsticks.cjs bin', { fix: 'run `npm ci`' });
    dir = up;
  }
  return path.join(dir, 'chopsticks.cjs');
}

export interface ChainDaemon {
  url: string;
  process: ProcessRecord;
}

/** Starts chopsticks detached and waits until its RPC answers. */
export async function startChainDaemon(opts: { port: number; logFile: string; spec?: string; progress?: Progress; timeoutMs?: number }): Promise<ChainDaemon> {
  const spec = opts.spec ?? findChainSpec();
  const url = `ws://127.0.0.1:${opts.port}`;
  const rec = spawnDaemon({
    name: 'chain',
    command: process.execPath,
    args: [chopsticksBin(), '--genesis', spec, '--host', '127.0.0.1', '--port', String(opts.port), '--build-block-mode', 'Instant'],
    logFile: opts.logFile,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  await waitUntil(async () => typeof (await wsRpc(url, 'system_chain', [], 2000)) === 'string', {
    what: `chain RPC on ${url}`,
    timeoutMs: opts.timeoutMs ?? 90_000,
    intervalMs: 250,
    process: rec,
    progress: opts.progress,
  });
  return { url, process: rec };
}
