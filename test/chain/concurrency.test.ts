/**
 * Submission under concurrency and connection failover (issue 3, rmb-tfchain.md §C4 item 7): 20 transactions
 * sent at once from one account all land (explicit nonces), and a client given a dead endpoint first fails
 * over to the next one.
 * @module
 */
import { randomBytes } from 'crypto';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { cryptoReady, identityFromSeed } from '../../protocol/common/identity';
import { freePort } from '../../local/chain';
import { connectTestChain, freshAccount, testChainUrl, TFT } from '../helpers/chain';

/**
 * polkadot-js logs `API-WS: disconnected from <url>` on console.error for each failed attempt on a dead
 * endpoint; those lines are expected here, anything else still reaches the console.
 */
function hidePolkadotNoiseAbout(url: string): jest.SpyInstance {
  const original = console.error.bind(console);
  return jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (args.some((a) => typeof a === 'string' && a.includes(`disconnected from ${url}`))) return;
    original(...args);
  });
}

describe('TFChain submissions', () => {
  let chain: ChainClient;

  beforeAll(async () => {
    await cryptoReady();
    chain = await connectTestChain();
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('sends 20 transfers concurrently from one account and none is lost', async () => {
    const sender = await freshAccount(chain, { balance: 100n * TFT });
    const startNonce = (await chain.api.rpc.system.accountNextIndex(sender.identity.address)).toNumber();
    const recipients = Array.from({ length: 20 }, () => identityFromSeed(randomBytes(32), 'ed25519').address);
    const amount = (i: number) => TFT + BigInt(i); // distinct amounts: each one is traceable
    await Promise.all(recipients.map((to, i) => sender.chain.transfer(to, amount(i))));
    const balances = await Promise.all(recipients.map((r) => chain.getBalance(r)));
    expect(balances).toEqual(recipients.map((_, i) => amount(i)));
    expect((await chain.api.rpc.system.accountNextIndex(sender.identity.address)).toNumber()).toBe(startNonce + 20);
  });

  it('resends what loses a nonce race to another connection of the same account, losing nothing', async () => {
    // Two clients of one account on separate connections (a provider and the user's own tools) cannot share a
    // nonce counter: their transactions collide in the pool (`1010: stale` / `Priority is too low`).
    const sender = await freshAccount(chain, { balance: 100n * TFT });
    const other = await createChainClient({ urls: [await testChainUrl()], signer: sender.identity });
    try {
      const startNonce = (await chain.api.rpc.system.accountNextIndex(sender.identity.address)).toNumber();
      const recipients = Array.from({ length: 8 }, () => identityFromSeed(randomBytes(32), 'ed25519').address);
      const amount = (i: number) => TFT + BigInt(i);
      // each connection sends its four one after another, both at the same time
      const sendAll = async (client: ChainClient, parity: number) => {
        for (const [i, to] of recipients.entries()) if (i % 2 === parity) await client.transfer(to, amount(i));
      };
      await Promise.all([sendAll(sender.chain, 0), sendAll(other, 1)]);
      expect(await Promise.all(recipients.map((r) => chain.getBalance(r)))).toEqual(recipients.map((_, i) => amount(i)));
      expect((await chain.api.rpc.system.accountNextIndex(sender.identity.address)).toNumber()).toBe(startNonce + 8);
    } finally {
      await other.close();
    }
  });

  it('fails over from a dead endpoint to the next one in the list', async () => {
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const live = await testChainUrl();
    const quiet = hidePolkadotNoiseAbout(dead);
    const c = await createChainClient({ urls: [dead, live], connectTimeoutMs: 30_000 });
    try {
      expect(c.endpoints).toEqual([dead, live]);
      expect(await c.blockNumber()).toBeGreaterThanOrEqual(0);
    } finally {
      await c.close();
      quiet.mockRestore();
    }
  });

  it('names every endpoint and the fix when none answers', async () => {
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const quiet = hidePolkadotNoiseAbout(dead);
    const err = await createChainClient({ urls: [dead], connectTimeoutMs: 1500 })
      .catch((e: unknown) => e)
      .finally(() => quiet.mockRestore());
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(dead);
    expect((err as Error).message).toMatch(/tfgrid local (up|chain)/); // refused at once (probe) or silent (client): both name a command that starts a chain
  });
});
