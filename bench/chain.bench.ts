/**
 * TFChain throughput on the local chain (issue 3): N node-contract creations sent one by one, all at once
 * from one account (explicit nonces), and in one utility.batchAll; prints wall time, blocks used and
 * transactions per block. Run: node -r @swc-node/register bench/chain.bench.ts [N=20]
 * @module
 */
import { randomBytes, createHash } from 'crypto';
import { bootstrapGrid, startLocalChain, TFT } from '../local/chain';
import { createChainClient, type ChainClient } from '../protocol/chain';
import { cryptoReady, identityFromSeed } from '../protocol/common/identity';

const N = Number(process.argv[2] ?? 20);
const tag = randomBytes(4).toString('hex');
const hash = (s: string) => createHash('md5').update(`${tag}-${s}`).digest('hex');

async function measure(chain: ChainClient, label: string, fn: () => Promise<number>): Promise<{ ms: number; blocks: number; n: number }> {
  const b0 = await chain.blockNumber();
  const t0 = process.hrtime.bigint();
  const n = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const blocks = (await chain.blockNumber()) - b0;
  process.stdout.write(
    `${label.padEnd(28)} ${String(n).padStart(3)} contracts  ${ms.toFixed(0).padStart(7)} ms  ${String(blocks).padStart(3)} blocks  ` +
      `${(n / Math.max(blocks, 1)).toFixed(2)} tx/block  ${(ms / n).toFixed(0)} ms/contract\n`,
  );
  return { ms, blocks, n };
}

async function main(): Promise<void> {
  await cryptoReady();
  const local = await startLocalChain({});
  const chain = await createChainClient({ urls: [local.url] });
  try {
    const node = identityFromSeed(randomBytes(32), 'ed25519');
    const user = identityFromSeed(randomBytes(32), 'sr25519');
    const grid = await bootstrapGrid(chain, {
      balance: 10_000n * TFT,
      farms: [{ name: `bench_${tag}`, farmer: identityFromSeed(randomBytes(32), 'sr25519') }],
      nodes: [{ farm: `bench_${tag}`, signer: node, resources: { hru: 1n << 40n, sru: 1n << 40n, cru: 64n, mru: 256n << 30n } }],
      users: [{ signer: user }],
    });
    const nodeId = grid.nodes[0].id;
    const me = await chain.withSigner(user);

    const seq = await measure(chain, 'one by one (awaited)', async () => {
      for (let i = 0; i < N; i++) await me.createNodeContract({ nodeId, hash: hash(`seq-${i}`) });
      return N;
    });
    const conc = await measure(chain, 'concurrent, one account', async () => {
      await Promise.all(Array.from({ length: N }, (_, i) => me.createNodeContract({ nodeId, hash: hash(`conc-${i}`) })));
      return N;
    });
    const batch = await measure(chain, 'one utility.batchAll', async () => {
      const r = await me.batch(Array.from({ length: N }, (_, i) => ({ op: 'createNodeContract' as const, nodeId, hash: hash(`batch-${i}`) })));
      return r.length;
    });
    process.stdout.write(
      `batchAll vs one-by-one: ${(seq.ms / batch.ms).toFixed(1)}x faster; concurrent vs one-by-one: ${(seq.ms / conc.ms).toFixed(1)}x; ` +
        `max tx/block seen: ${Math.max(seq.n / Math.max(seq.blocks, 1), conc.n / Math.max(conc.blocks, 1), batch.n).toFixed(1)} (batch counts its calls)\n`,
    );
  } finally {
    await chain.close();
    await local.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
