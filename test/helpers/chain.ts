/**
 * Test access to the run's shared local chain (one per jest run, test-chain-run.ts): a connected client and
 * fresh funded accounts. Each test file makes its own twins from fresh random keys, funded by a dev account
 * chosen by the jest worker id (//Alice is left to global setup), so files never share a signer.
 * @module
 */
import { randomBytes } from 'crypto';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { bootstrapGrid } from '../../local/chain/bootstrap';
import { ensureTestChain } from './test-chain-run';
import { ChainError } from '../../protocol/common/errors';
import { cryptoReady, identityFromSeed, type Identity, type KeyType } from '../../protocol/common/identity';

/** The shared chain's URL (started on first use; see test-chain-run.ts). */
export async function testChainUrl(): Promise<string> {
  return ensureTestChain();
}

const FUNDERS = ['Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

/** The dev account that funds accounts in this jest worker. */
export function workerFunderUri(): { uri: string; type: KeyType } {
  const w = Math.max(1, Number(process.env.JEST_WORKER_ID ?? '1')) - 1;
  return { uri: `//${FUNDERS[w % FUNDERS.length]}`, type: w >= FUNDERS.length ? 'ed25519' : 'sr25519' };
}

/** A read-only client on the shared chain; close it in afterAll. */
export async function connectTestChain(): Promise<ChainClient> {
  return createChainClient({ urls: [await ensureTestChain()] });
}

export interface TestAccount {
  identity: Identity;
  /** The shared connection, signing as this account. */
  chain: ChainClient;
}

/** 1 TFT in chain units. */
export const TFT = 10_000_000n;

/**
 * A fresh random key funded with `balance` (default 1000 TFT) from this worker's dev account.
 * @example const alice = await freshAccount(chain); await alice.chain.ensureTwin({ relay: 'localhost' });
 */
export async function freshAccount(chain: ChainClient, opts: { type?: KeyType; balance?: bigint } = {}): Promise<TestAccount> {
  await cryptoReady();
  const identity = identityFromSeed(randomBytes(32), opts.type ?? 'sr25519');
  const funder = await chain.withSigner(workerFunderUri());
  const balance = opts.balance ?? 1000n * TFT;
  if (balance > 0n) await funder.transfer(identity.address, balance);
  return { identity, chain: await chain.withSigner(identity) };
}

/** Several fresh accounts, funded in one batchAll (one block). */
export async function freshAccounts(chain: ChainClient, n: number, opts: { type?: KeyType; balance?: bigint } = {}): Promise<TestAccount[]> {
  await cryptoReady();
  const ids = Array.from({ length: n }, () => identityFromSeed(randomBytes(32), opts.type ?? 'sr25519'));
  const funder = await chain.withSigner(workerFunderUri());
  const balance = opts.balance ?? 1000n * TFT;
  if (balance > 0n) await funder.transferMany(ids.map((i) => ({ to: i.address, amount: balance })));
  return Promise.all(ids.map(async (identity) => ({ identity, chain: await chain.withSigner(identity) })));
}

/** A small grid of this test file's own: one farm with a public IP pool, `nodes` nodes (ed25519 keys). */
export interface TestGrid {
  tag: string;
  farmId: number;
  farmName: string;
  farmIps: { ip: string; gw: string }[];
  nodes: { id: number; twinId: number; identity: Identity }[];
  farmer: Identity;
}

/**
 * Bootstraps a farm (3 public IPs unless told) and `nodes` nodes with fresh keys, funded by this worker's
 * dev account. Node 1 gets a public config. Unique names per call, so files never collide.
 */
export async function bootstrapTestGrid(chain: ChainClient, opts: { nodes?: number; publicIps?: number } = {}): Promise<TestGrid> {
  await cryptoReady();
  const tag = randomBytes(4).toString('hex');
  const octet = randomBytes(1)[0];
  const farmName = `farm_${tag}`;
  const farmIps = Array.from({ length: opts.publicIps ?? 3 }, (_, i) => ({ ip: `185.${octet}.${i + 1}.10/24`, gw: `185.${octet}.${i + 1}.1` }));
  const farmer = identityFromSeed(randomBytes(32), 'sr25519');
  const nodeIds = Array.from({ length: opts.nodes ?? 2 }, () => identityFromSeed(randomBytes(32), 'ed25519'));
  const grid = await bootstrapGrid(chain, {
    funder: workerFunderUri(),
    balance: 100n * TFT,
    farms: [{ name: farmName, farmer, publicIps: farmIps }],
    nodes: nodeIds.map((signer, i) => ({
      farm: farmName,
      signer,
      relay: 'localhost',
      resources: { hru: 2n << 40n, sru: 1n << 40n, cru: 8n, mru: 32n << 30n },
      ...(i === 0 ? { publicConfig: { ip4: { ip: `185.69.${octet}.50/24`, gw: `185.69.${octet}.1` }, domain: `n1-${tag}.grid.local` } } : {}),
    })),
  });
  return {
    tag,
    farmId: grid.farms[0].id,
    farmName,
    farmIps,
    farmer,
    nodes: grid.nodes.map((n, i) => ({ id: n.id, twinId: n.twinId, identity: nodeIds[i] })),
  };
}

/**
 * Expects `p` to fail with a ChainError naming `pallet.error` (rmb-tfchain.md §B2), and returns it for
 * further checks on its message.
 * @example const err = await expectChainError(other.chain.createNameContract(name), 'smartContractModule', 'NameExists');
 */
export async function expectChainError(p: Promise<unknown>, pallet: string, error: string): Promise<ChainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChainError);
  const ce = err as ChainError;
  expect(ce.context.module).toBe(pallet);
  expect(ce.context.error).toBe(error);
  expect(ce.message).toContain(`${pallet}.${error}`);
  return ce;
}
