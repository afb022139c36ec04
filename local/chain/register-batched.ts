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
import { stringToHex } from '@polkadot/util';

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

/** One node's registration as its own signed extrinsic (terms and twin too, when it has no twin yet). */
async function signedRegistration(chain: ChainClient, keyring: Record<'ed25519' | 'sr25519', Keyring>, n: BatchedNodeSpec, hasTwin: boolean): Promise<string> {
  const api = chain.api;
  const t = api.tx.tfgridModule;
  const r = n.resources;
  const createNode = t.createNode(n.farmId, { hru: r.hru, sru: r.sru, cru: r.cru, mru: r.mru }, LOCATION, [], false, false, null);
  const tx = hasTwin ? createNode : api.tx.utility.batchAll([t.userAcceptTc(DEFAULT_TERMS.link, DEFAULT_TERMS.hash), t.createTwin(n.relay, null), createNode]);
  const pair = pairOf(keyring, n.signer);
  // The nonce from storage: `system_accountNextIndex` is a runtime call, which chopsticks runs in wasm.
  const nonce = accountSchema.parse((await api.query.system.account(pair.address)).toJSON()).nonce;
  return (await tx.signAsync(pair, { nonce })).toHex();
}

const recordSchema = z.record(z.string(), z.unknown());
const counterSchema = z.coerce.number().int().nonnegative();
const idListSchema = z.array(z.number().int());

/**
 * Writes the registrations of `rest` straight into storage (`dev_setStorage`), each a copy of what the chain
 * itself stored for the node `template` registered: its twin, accepted terms and node records with the ids,
 * account, relay, farm and resources changed, the farm's node list and the id counters. Public configs are
 * left to the farmer's batch as for any node. Nodes in `rest` that already have a twin keep it.
 */
async function cloneRegistrations(chain: ChainClient, template: { twinId: number; nodeId: number; address: string }, rest: readonly { spec: BatchedNodeSpec; twinId?: number }[]): Promise<void> {
  const q = chain.api.query.tfgridModule;
  const twinT = recordSchema.parse((await q.twins(template.twinId)).toJSON());
  const termsT = z.array(recordSchema).parse((await q.usersTermsAndConditions(template.address)).toJSON());
  const nodeT = recordSchema.parse((await q.nodes(template.nodeId)).toJSON());
  let twinId = counterSchema.parse((await q.twinID()).toJSON());
  let nodeId = counterSchema.parse((await q.nodeID()).toJSON());
  const byFarm = new Map<number, number[]>();
  for (const farmId of new Set(rest.map((r) => r.spec.farmId))) byFarm.set(farmId, idListSchema.parse((await q.nodesByFarmID(farmId)).toJSON() ?? []));
  const twins: [[number], unknown][] = [];
  const twinByAccount: [[string], number][] = [];
  const terms: [[string], unknown][] = [];
  const nodes: [[number], unknown][] = [];
  const nodeByTwin: [[number], number][] = [];
  for (const { spec, twinId: existing } of rest) {
    const address = spec.signer.address;
    const tid = existing ?? ++twinId;
    if (existing === undefined) {
      twins.push([[tid], { ...twinT, id: tid, accountId: address, relay: stringToHex(spec.relay) }]);
      twinByAccount.push([[address], tid]);
      terms.push([[address], termsT.map((t) => ({ ...t, accountId: address }))]);
    }
    const nid = ++nodeId;
    const r = spec.resources;
    nodes.push([[nid], { ...nodeT, id: nid, twinId: tid, farmId: spec.farmId, publicConfig: null, resources: { hru: Number(r.hru), sru: Number(r.sru), cru: Number(r.cru), mru: Number(r.mru) } }]);
    nodeByTwin.push([[tid], nid]);
    byFarm.get(spec.farmId)?.push(nid);
  }
  await chain.api.rpc('dev_setStorage', {
    TfgridModule: {
      Twins: twins,
      TwinIdByAccountID: twinByAccount,
      UsersTermsAndConditions: terms,
      Nodes: nodes,
      NodeIdByTwinID: nodeByTwin,
      NodesByFarmID: [...byFarm.entries()].map(([farm, ids]) => [[farm], ids]),
      TwinID: twinId,
      NodeID: nodeId,
    },
  });
}

/**
 * Tops the accounts up to `free` by writing their balances (`dev_setStorage`, no transfer, no block): what the
 * funder's transfer batch did for them, for throw-away accounts of a local chain. Their nonces are kept.
 */
export async function fundByStorage(chain: ChainClient, addresses: readonly string[], free: bigint): Promise<void> {
  const have = await Promise.all(addresses.map((a) => chain.getBalance(a)));
  const low = addresses.filter((_, i) => have[i] < free);
  if (low.length === 0) return;
  const nonces = await Promise.all(low.map(async (a) => accountSchema.parse((await chain.api.query.system.account(a)).toJSON()).nonce));
  await chain.api.rpc('dev_setStorage', { System: { Account: low.map((a, i) => [[a], { nonce: nonces[i], providers: 1, data: { free: '0x' + free.toString(16) } }]) } });
}

/**
 * Registers the twins and nodes that are missing; returns each node's twin and node id, in the order of
 * `nodes` (node ids ascending with it).
 */
export async function registerNodesBatched(chain: ChainClient, nodes: readonly BatchedNodeSpec[]): Promise<{ twinId: number; nodeId: number }[]> {
  await cryptoReady();
  const keyring = { ed25519: new Keyring({ type: 'ed25519' }), sr25519: new Keyring({ type: 'sr25519' }) };
  const twinIds = () => Promise.all(nodes.map((n) => chain.getTwinIdByAccount(n.signer.address)));
  const nodeIds = (twins: (number | undefined)[]) => Promise.all(twins.map((id) => (id === undefined ? undefined : chain.getNodeIdByTwin(id))));
  let twins = await twinIds();
  let ids = await nodeIds(twins);
  const missing = nodes.flatMap((_, i) => (ids[i] === undefined ? [i] : []));
  if (missing.length === 0) return nodes.map((_, i) => ({ twinId: twins[i] as number, nodeId: ids[i] as number }));

  // The first through the chain's own logic, the rest copied from what it stored.
  const first = missing[0];
  const check = async (which: number[]) => {
    twins = await twinIds();
    ids = await nodeIds(twins);
    return which.every((i) => ids[i] !== undefined);
  };
  await oneBlock(chain, [await signedRegistration(chain, keyring, nodes[first], twins[first] !== undefined)], () => check([first]), `node ${first + 1} registration`);
  const rest = missing.slice(1);
  if (rest.length > 0) {
    await cloneRegistrations(
      chain,
      { twinId: twins[first] as number, nodeId: ids[first] as number, address: nodes[first].signer.address },
      rest.map((i) => ({ spec: nodes[i], twinId: twins[i] })),
    );
    if (!(await check(rest))) throw new InternalError(`registrations of ${rest.length} nodes written to storage but not found there`);
  }
  return nodes.map((_, i) => ({ twinId: twins[i] as number, nodeId: ids[i] as number }));
}
