/**
 * Many node registrations in one block (issue 16). Chopsticks in `Instant` mode builds one block per
 * submitted extrinsic, and every node signs its own twin and node registration (the origin must be the
 * node's account, so no `utility.batch` by one signer can carry them, and TFChain has no sudo for
 * `dispatchAs`): 50 nodes cost 100 extrinsics and 100 blocks that way. Here each node signs one `batchAll`
 * (terms, twin, node) up front and all of them go into one block through chopsticks'
 * `dev_newBlock({ transactions })`, applied in the given order, so node ids follow the order of `nodes` as
 * one-by-one registration did.
 * Local chains only (a dev RPC). Accounts must be funded already; nodes that have their twin or node keep it.
 * @module
 */
import { Keyring } from '@polkadot/keyring';
import { z } from 'zod';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { ChainClient, Resources } from '../../protocol/chain';
import { DEFAULT_TERMS } from '../../protocol/chain';
import type { Identity } from '../../protocol/common/identity';
import { cryptoReady } from '../../protocol/common/identity';
import { InternalError } from '../../protocol/common/errors';

export interface BatchedNodeSpec {
  signer: Identity;
  farmId: number;
  resources: Resources;
  /** Relay host stored on the node's twin. */
  relay: string;
}

/** `System.Account` as its JSON: only the nonce is read. */
const accountSchema = z.object({ nonce: z.number().int().nonnegative() });

const LOCATION = { city: 'Ghent', country: 'Belgium', latitude: '51.05', longitude: '3.71' };

/** A polkadot-js pair for the identity, signing MultiSignature with its type byte (see protocol/chain toPair). */
function pairOf(keyring: Record<'ed25519' | 'sr25519', Keyring>, id: Identity): KeyringPair {
  const pair = keyring[id.type].addFromSeed(id.seed);
  return new Proxy(pair, {
    get(target, prop, receiver) {
      if (prop === 'sign') return (message: Uint8Array, options?: { withType?: boolean }) => target.sign(message, { ...options, withType: true });
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * Builds one block holding `txs` (hex), then more blocks while some of them are still missing per `done`
 * (chopsticks puts what did not fit back in its pool, which the next block takes).
 */
async function oneBlock(chain: ChainClient, txs: string[], done: () => Promise<boolean>, what: string): Promise<void> {
  if (txs.length === 0) return;
  await chain.api.rpc('dev_newBlock', { transactions: txs });
  for (let extra = 0; extra < 3; extra++) {
    if (await done()) return;
    await chain.api.rpc('dev_newBlock', { count: 1 });
  }
  if (!(await done())) throw new InternalError(`${what}: not on chain after the block that carried it (see the chain log)`);
}

/** Registers the twins and nodes that are missing; returns each node's twin and node id, in order. */
export async function registerNodesBatched(chain: ChainClient, nodes: readonly BatchedNodeSpec[]): Promise<{ twinId: number; nodeId: number }[]> {
  await cryptoReady();
  const api = chain.api;
  const t = api.tx.tfgridModule;
  const keyring = { ed25519: new Keyring({ type: 'ed25519' }), sr25519: new Keyring({ type: 'sr25519' }) };
  // The nonce from storage: `system_accountNextIndex` is a runtime call, which chopsticks runs in wasm (~0.5 s).
  const nonce = async (address: string) => accountSchema.parse((await api.query.system.account(address)).toJSON()).nonce;
  const twinIds = () => Promise.all(nodes.map((n) => chain.getTwinIdByAccount(n.signer.address)));
  const nodeIds = async (twins: (number | undefined)[]) => Promise.all(twins.map((id) => (id === undefined ? undefined : chain.getNodeIdByTwin(id))));
  let twins = await twinIds();
  let ids = await nodeIds(twins);

  // One extrinsic per node (terms, twin and node in one batchAll where the twin is missing): chopsticks runs
  // every extrinsic of a block as a wasm call of its own, so their count is what a block of them costs.
  const txs: string[] = [];
  for (const [i, n] of nodes.entries()) {
    if (ids[i] !== undefined) continue;
    const r = n.resources;
    const createNode = t.createNode(n.farmId, { hru: r.hru, sru: r.sru, cru: r.cru, mru: r.mru }, LOCATION, [], false, false, null);
    const tx = twins[i] === undefined ? api.tx.utility.batchAll([t.userAcceptTc(DEFAULT_TERMS.link, DEFAULT_TERMS.hash), t.createTwin(n.relay, null), createNode]) : createNode;
    const pair = pairOf(keyring, n.signer);
    txs.push((await tx.signAsync(pair, { nonce: await nonce(pair.address) })).toHex());
  }
  await oneBlock(
    chain,
    txs,
    async () => {
      twins = await twinIds();
      ids = await nodeIds(twins);
      return ids.every((id) => id !== undefined);
    },
    `${txs.length} node registrations`,
  );
  return nodes.map((_, i) => ({ twinId: twins[i] as number, nodeId: ids[i] as number }));
}
