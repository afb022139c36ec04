/**
 * `ChainClient.close()` leaves nothing that keeps a process alive (issue 7; rmb-tfchain.md §B1): a process
 * that read, subscribed and sent an extrinsic exits on its own right after close(), with no socket or timer
 * left — the way every `tfgrid` verb and every node daemon ends. Runs in a child process so the check sees
 * only what the client made.
 * @module
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { createChainClient } from '../../protocol/chain';
import type { Logger } from '../../protocol/common/log';
import { testChainUrl, workerFunderUri } from '../helpers/chain';

const ROOT = path.resolve(__dirname, '..', '..');

/** Connects, reads, subscribes, transfers, closes; then prints what still keeps the event loop alive. */
const CHILD = `
const { createChainClient } = require(${JSON.stringify(path.join(ROOT, 'protocol/chain/index.ts'))});
(async () => {
  const [url, uri, type] = process.argv.slice(1);
  const chain = await createChainClient({ urls: [url], signer: { uri, type } });
  await chain.blockNumber();
  const unsubscribe = await chain.subscribeContractEvents(() => undefined);
  await chain.transfer('5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', 1000n);
  unsubscribe();
  await chain.getBalance('5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty');
  await chain.close();
  process.stdout.write('ACTIVE ' + JSON.stringify(process.getActiveResourcesInfo()) + '\\n');
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\\n');
  process.exitCode = 1;
});
`;

function runChild(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', require.resolve('@swc-node/register'), '-e', CHILD, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

function capturingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
    child: () => log,
  };
  return log;
}

describe('ChainClient.close()', () => {
  it('does not report its own disconnect as a lost connection', async () => {
    const lines: string[] = [];
    const chain = await createChainClient({ urls: [await testChainUrl()], log: capturingLogger(lines) });
    await chain.blockNumber();
    await chain.close();
    expect(lines.filter((l) => !l.startsWith('info'))).toEqual([]);
  });

  it('leaves no socket or timer holding the process after reads, a subscription and a transfer', async () => {
    const funder = workerFunderUri();
    const r = await runChild([await testChainUrl(), funder.uri, funder.type]);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const line = r.out.split('\n').find((l) => l.startsWith('ACTIVE '));
    expect(line).toBeDefined();
    const active = JSON.parse((line ?? 'ACTIVE []').slice('ACTIVE '.length)) as string[];
    // stdout/stderr pipes to this test are the child's own; nothing of the chain connection may remain.
    expect(active.filter((r) => !['PipeWrap', 'TTYWrap'].includes(r))).toEqual([]);
  });
});
