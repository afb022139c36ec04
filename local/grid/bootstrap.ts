/**
 * Registers the local grid on its chain (rmb-tfchain.md §B1, §C1) through local/chain's `bootstrapGrid`: a farm
 * owned by //Alice with the grid internet's public IP pool, one ed25519 twin + node per node runtime, every
 * node's public config (with its gateway domain) in one batch per farm, and a funded user twin for examples.
 * Idempotent like `bootstrapGrid`.
 * @module
 */
import { randomBytes } from 'crypto';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { createChainClient } from '../../protocol/chain';
import { cryptoReady, identityFromSecret, type KeyType } from '../../protocol/common/identity';
import { silentProgress, type Progress } from '../../protocol/common/log';
import { bootstrapGrid, TFT } from '../chain';
import { fundByStorage, registerNodesBatched } from '../chain/register-batched';
import { e2ePublicKey } from '../../protocol/rmb/e2e';

const GiB = 1024n ** 3n;
export const DEFAULT_NODE_RESOURCES = { cru: 8n, mru: 16n * GiB, sru: 512n * GiB, hru: 2048n * GiB };

export interface BootstrapNodeSpec {
  /** 64-hex seed of the node's ed25519 key (kept in the node's config). */
  seed: string;
  farmName: string;
  /**
   * The node's public config on chain. TFChain accepts only globally routable addresses here (valip
   * `is_public`: 198.18/15, TEST-NETs and 100.64/10 are refused), so the local grid registers a placeholder
   * from `chainPublicConfigIp(i)` and keeps the node's real grid-internet address in the state file.
   */
  publicConfig?: { ip4: { ip: string; gw: string }; domain: string };
}

export interface BootstrapSpec {
  chainUrl: string;
  /** The relay host name written into every twin (`relay` field). */
  relay: string;
  farms: { name: string; publicIps: { ip: string; gw: string }[] }[];
  nodes: BootstrapNodeSpec[];
  /** The user's secret; generated when omitted. */
  user?: { mnemonic?: string; keyType?: KeyType };
  /** Also a funded twin for the grid proxy (`BootstrapResult.proxyUser`), made in the same blocks as the user's. */
  proxyUser?: boolean;
  progress?: Progress;
}

export interface BootstrapResult {
  farms: { name: string; farmId: number; twinId: number }[];
  nodes: { seed: string; nodeId: number; twinId: number; farmId: number }[];
  user: { mnemonic: string; keyType: KeyType; twinId: number; address: string };
  proxyUser?: { mnemonic: string; keyType: KeyType; twinId: number; address: string };
}

/**
 * The placeholder public IPv4 registered on chain for node `index` (1-based): 185.69.166.<10+index>/24, the
 * range ZOS's own examples use. Nothing on the local grid listens there and nothing should connect to it;
 * the grid internet address (198.18.0.<10+index>) is what tests and the DNS use.
 */
export function chainPublicConfigIp(index: number): { ip: string; gw: string } {
  return { ip: `185.69.166.${10 + index}/24`, gw: '185.69.166.1' };
}

/** A fresh 64-hex ed25519 seed for a node. */
export function newNodeSeed(): string {
  return randomBytes(32).toString('hex');
}

/** What the user and each node account are topped up to (node 1 pays its own twin and node registration). */
const ACCOUNT_BALANCE = 10_000n * TFT;

/** The farmer of every local farm, funded in the local genesis. */
const FARMER = { uri: '//Alice', type: 'sr25519' } as const;

export async function bootstrapLocalGrid(spec: BootstrapSpec): Promise<BootstrapResult> {
  const progress = spec.progress ?? silentProgress;
  await cryptoReady();
  const keyType = spec.user?.keyType ?? 'sr25519';
  const mnemonic = spec.user?.mnemonic ?? mnemonicGenerate(12);
  const chain = await createChainClient({ urls: [spec.chainUrl] });
  try {
    // Node and user accounts funded by a storage write (no transfer block); the user's is then enough for
    // `bootstrapGrid`, which transfers only to accounts below its minimum.
    const user = identityFromSecret(mnemonic, keyType);
    const proxyMnemonic = spec.proxyUser ? mnemonicGenerate(12) : undefined;
    const proxy = proxyMnemonic ? identityFromSecret(proxyMnemonic, 'sr25519') : undefined;
    const users = [user, ...(proxy ? [proxy] : [])];
    const signers = spec.nodes.map((n, i) => identityFromSecret(n.seed, 'ed25519', `node ${i + 1} seed`));
    progress.update(`chain: funding ${signers.length} node accounts and ${users.length} user(s)`);
    await fundByStorage(chain, [...users.map((u) => u.address), ...signers.map((s) => s.address)], ACCOUNT_BALANCE);
    progress.update(`chain: registering ${spec.farms.length} farm(s) and ${users.length} user(s)`);
    const grid = await bootstrapGrid(chain, {
      farms: spec.farms.map((f) => ({ name: f.name, farmer: FARMER, publicIps: f.publicIps })),
      nodes: [],
      // with their RMB encryption keys: the twin a client or the grid proxy finds then needs no update (a block)
      users: users.map((signer) => ({ signer, relay: spec.relay, pk: e2ePublicKey(signer.seed) })),
      balance: ACCOUNT_BALANCE,
    });
    const farmIdOf = (name: string) => {
      const f = grid.farms.find((x) => x.name === name);
      if (!f) throw new Error(`farm "${name}" is not in the grid spec`);
      return f.id;
    };
    progress.update(`chain: registering ${signers.length} nodes`);
    const registered = await registerNodesBatched(
      chain,
      spec.nodes.map((n, i) => ({ signer: signers[i], farmId: farmIdOf(n.farmName), resources: DEFAULT_NODE_RESOURCES, relay: spec.relay })),
    );
    const nodes = registered.map((r, i) => ({ id: r.nodeId, twinId: r.twinId, farmId: farmIdOf(spec.nodes[i].farmName) }));
    progress.update(`chain: public configs of ${nodes.length} nodes`);
    const farmer = await chain.withSigner(FARMER);
    for (const farm of grid.farms) {
      const configs = nodes.flatMap((n, i) => {
        const config = spec.nodes[i].publicConfig;
        return n.farmId === farm.id && config ? [{ nodeId: n.id, config }] : [];
      });
      await farmer.addNodePublicConfigs(farm.id, configs);
    }
    const farmById = new Map(grid.farms.map((f) => [f.id, f]));
    return {
      farms: grid.farms.map((f) => ({ name: f.name, farmId: f.id, twinId: f.twinId })),
      nodes: nodes.map((n, i) => ({ seed: spec.nodes[i].seed, nodeId: n.id, twinId: n.twinId, farmId: farmById.get(n.farmId)?.id ?? n.farmId })),
      user: { mnemonic, keyType, twinId: grid.users[0].twinId, address: grid.users[0].address },
      ...(proxyMnemonic ? { proxyUser: { mnemonic: proxyMnemonic, keyType: 'sr25519' as const, twinId: grid.users[1].twinId, address: grid.users[1].address } } : {}),
    };
  } finally {
    await chain.close();
  }
}

/**
 * A new funded user twin on a running grid (a fresh mnemonic): concurrent deployers must not share one account,
 * or their transactions race for the same nonces. Callers serialise through the grid lock (`addGridUser`).
 */
export async function createFundedUser(chainUrl: string, relay: string, keyType: KeyType = 'sr25519'): Promise<BootstrapResult['user']> {
  await cryptoReady();
  const mnemonic = mnemonicGenerate(12);
  const chain = await createChainClient({ urls: [chainUrl] });
  try {
    const signer = identityFromSecret(mnemonic, keyType);
    await fundByStorage(chain, [signer.address], ACCOUNT_BALANCE);
    const grid = await bootstrapGrid(chain, { farms: [], nodes: [], users: [{ signer, relay }], balance: ACCOUNT_BALANCE });
    return { mnemonic, keyType, twinId: grid.users[0].twinId, address: grid.users[0].address };
  } finally {
    await chain.close();
  }
}
