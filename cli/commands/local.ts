/**
 * `tfgrid local …` verbs. This file creates the `local` command and its `chain` verb (rmb-tfchain.md §C3):
 * chopsticks with the TFChain spec-144 runtime on 127.0.0.1, in the foreground until Ctrl-C, printing its
 * URL once the RPC answers. The grid verbs (up/down/status/logs/reset/quickstart) come from local/grid/cli.ts, `restart` from local/grid/restart-cli.ts.
 * @module
 */
import type { Command } from 'commander';
import { InputError } from '../../protocol/common/errors';
import { createLineLogger } from '../../protocol/common/log';
import { LOCAL_CHAIN_PORT } from '../../protocol/chain';
import { resolveChainSpec, startLocalChain } from '../../local/chain';
import { registerGridVerbs } from '../../local/grid/cli';
import { registerLocalChainFetch } from './local-chain-fetch';
import { registerLocalCurl } from './local-curl';
import { registerLocalDns } from './local-dns';
import { registerRestartVerb } from '../../local/grid/restart-cli';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InputError(`--port ${v}: expected an integer 0..65535 (0 = any free port)`, { path: '--port' });
  }
  return n;
}

/** `tfgrid local chain [--port N] [--spec FILE] [--log-file FILE]` */
export function registerLocalChain(local: Command): void {
  const chain = local
    .command('chain')
    .description('run a local TFChain (chopsticks, runtime spec 144) on 127.0.0.1 until Ctrl-C; prints its ws URL when ready')
    .option('--port <n>', `RPC port (0 = any free port)`, parsePort, LOCAL_CHAIN_PORT)
    .option('--spec <file>', 'raw chain spec (default: ../shared patched spec, else patch the pinned upstream files from the cache, downloading them if absent: `local chain fetch`)')
    .option('--log-file <file>', "append chopsticks' own output to this file")
    .action(async (o: { port: number; spec?: string; logFile?: string }) => {
      const log = createLineLogger((line) => process.stderr.write(line + '\n'), { level: 'info' });
      const spec = await resolveChainSpec({ explicit: o.spec, log });
      const chain = await startLocalChain({ port: o.port, spec, logFile: o.logFile, log });
      process.stdout.write(`${chain.url}\n`);
      process.stderr.write(`tfchain ready at ${chain.url} (pid ${chain.pid}); Ctrl-C to stop\n`);
      const stop = new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      const why = await Promise.race([stop, chain.exited.then((code) => `chopsticks exited (${code})`)]);
      await chain.stop();
      process.stderr.write(`tfchain stopped: ${why}\n`);
      if (why.startsWith('chopsticks exited')) process.exitCode = 1;
    });
  registerLocalChainFetch(chain);
}

/** Registers `tfgrid local` and the verbs of this file. */
export function registerLocal(program: Command): Command {
  const local = program.command('local').description('the local grid: chain, relay, nodes on this machine');
  registerLocalChain(local);
  registerGridVerbs(local);
  registerLocalDns(local);
  registerLocalCurl(local);
  registerRestartVerb(local);
  return local;
}
