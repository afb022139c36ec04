/**
 * The local grid's chain as a detached daemon: chopsticks running the TFChain runtime from the patched
 * spec (rmb-tfchain.md §C3; spec resolution and the bin come from local/chain), on 127.0.0.1, instant block building. Ready
 * when `system_chain` answers and block #1 exists (local/chain `hasFirstBlock`).
 * @module
 */
import type { Progress } from '../../protocol/common/log';
import { chopsticksCommand, hasFirstBlock, resolveChainSpec, rpcCall } from '../chain';
import { waitUntil } from './readiness';
import { spawnDaemon, type ProcessRecord } from './supervisor';

export interface ChainDaemon {
  url: string;
  process: ProcessRecord;
}

/** Starts chopsticks detached and waits until its RPC answers. */
export async function startChainDaemon(opts: { port: number; logFile: string; spec?: string; progress?: Progress; timeoutMs?: number }): Promise<ChainDaemon> {
  // The shared patched spec when present, else upstream artefacts downloaded and patched (local/chain).
  const spec = opts.spec ?? (await resolveChainSpec({}));
  const url = `ws://127.0.0.1:${opts.port}`;
  const rec = spawnDaemon({ name: 'chain', ...chopsticksCommand(spec, opts.port), logFile: opts.logFile });
  await waitUntil(async () => typeof (await rpcCall(url, 'system_chain', [], 2000)) === 'string' && (await hasFirstBlock(url)), {
    what: `chain RPC on ${url} with block #1`,
    timeoutMs: opts.timeoutMs ?? 90_000,
    intervalMs: 100,
    process: rec,
    progress: opts.progress,
  });
  return { url, process: rec };
}
