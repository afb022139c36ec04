/**
 * Registers the local grid on its fresh chain (rmb-tfchain.md §B1, §C1): a farm (owned by //Alice) with a public
 * IP pool on the grid internet, one twin + node per node runtime (each with its own ed25519 key, funded by
 * //Alice, public config with a gateway domain), and a funded user account with a twin for examples. Idempotent:
 * what exists (farm by name, twin by account, node by twin) is reused.
 * @module
 */
import { randomBytes } from 'crypto';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { cryptoReady, identityFromSecret, type KeyType } from '../../protocol/common/identity';
import type { Progress } from '../../protocol/common/log';
import { silentProgress } from '../../protocol/common/log';

/** 1 TFT = 10^7 units. Accounts get 10,000 TFT. */
const FUNDING = 10_000n * 10_000_000n;
const GiB = 1024n ** 3n;

export interface BootstrapNodeSpec {
  /** 64-hex seed of the node's ed25519 key (kept in its config file). */
  seed: string;
  farmName: string;
  /**
   * The node's public config on chain. TFChain accepts only globally routable addresses here (valip
   * `is_public`: 198.18/15, TEST-NETs and 100.64/10 are refused), so the local grid registers a placeholder
   * from `chainPublicConfigIp(i)` and keeps the node's real grid-internet address in the state file.
   */
  publicConfig?: { ip4: { ip: string; gw: string }; domain: string };
  resources?: { cru: bigint; mru: bigint; sru: bigint; hru: bigint };
}

export interface BootstrapSpec {
  chainUrl: string;
  /** The relay host name written into every twin (`relay` field). */
  relay: string;
  farms: { name: string; publicIps: { ip: string; gw: string }[] }[];
  nodes: BootstrapNodeSpec[];
  /** The user's secret; generated when omitted. */
  user?: { mnemonic?: string; keyType?: KeyType };
  progress?: Progress;
}

export interface BootstrapResult {
  farms: { name: string; farmId: number; twinId: number }[];
  nodes: { seed: string; nodeId: number; twinId: number; farmId: number }[];
  user: { mnemonic: string; keyType: KeyType; twinId: number; address: string };
}

export const DEFAULT_NODE_RESOURCES = { cru: 8n, mru: 16n * GiB, sru: 512n * GiB, hru: 2048n * GiB };

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

async function fund(alice: ChainClient, address: string): Promise<void> {
  if ((await alice.getBalance(address)) < FUNDING / 2n) await alice.transfer(address, FUNDING);
}

export async function bootstrapLocalGrid(spec: BootstrapSpec): Promise<BootstrapResult> {
  const progress = spec.progress ?? silentProgress;
  await cryptoReady();
  const chain = await createChainClient({ urls: [spec.chainUrl] });
  try {
    const alice = await chain.withSigner({ uri: '//Alice', type: 'sr25519' });
    progress.update('chain: registering the farmer twin');
    const aliceTwin = await alice.ensureTwin({ relay: spec.relay });

    const farms: BootstrapResult['farms'] = [];
    for (const f of spec.farms) {
      progress.update(`chain: farm "${f.name}" with ${f.publicIps.length} public IPs`);
      let farmId = await chain.getFarmIdByName(f.name);
      if (farmId === undefined) farmId = (await alice.createFarm(f.name, f.publicIps)).id;
      farms.push({ name: f.name, farmId, twinId: aliceTwin.id });
    }

    // Nodes and the user register concurrently: each signs with its own account, and //Alice's
    // transfers and public configs share the client's nonce tracking.
    let registered = 0;
    const registerNode = async (n: BootstrapNodeSpec, i: number): Promise<BootstrapResult['nodes'][number]> => {
      const farm = farms.find((f) => f.name === n.farmName);
      if (!farm) throw new Error(`node ${i + 1}: farm "${n.farmName}" is not in the spec`);
      const identity = identityFromSecret(n.seed, 'ed25519', `node ${i + 1} seed`);
      await fund(alice, identity.address);
      const signer = await chain.withSigner(identity);
      const twin = await signer.ensureTwin({ relay: spec.relay });
      let nodeId = await chain.getNodeIdByTwin(twin.id);
      if (nodeId === undefined) {
        const node = await signer.createNode({
          farmId: farm.farmId,
          resources: n.resources ?? DEFAULT_NODE_RESOURCES,
          interfaces: [{ name: 'uplink', mac: '02:00:00:00:00:' + (i + 1).toString(16).padStart(2, '0'), ips: [] }],
        });
        nodeId = node.id;
      }
      if (n.publicConfig) await alice.addNodePublicConfig(farm.farmId, nodeId, n.publicConfig);
      progress.update(`chain: ${++registered} of ${spec.nodes.length} nodes registered`);
      return { seed: n.seed, nodeId, twinId: twin.id, farmId: farm.farmId };
    };
    const keyType = spec.user?.keyType ?? 'sr25519';
    const mnemonic = spec.user?.mnemonic ?? mnemonicGenerate(12);
    const registerUser = async () => {
      const userId = identityFromSecret(mnemonic, keyType);
      await fund(alice, userId.address);
      const userTwin = await (await chain.withSigner(userId)).ensureTwin({ relay: spec.relay });
      return { twinId: userTwin.id, address: userId.address };
    };
    progress.update(`chain: registering ${spec.nodes.length} nodes and the user`);
    const [user, ...nodes] = await Promise.all([registerUser(), ...spec.nodes.map(registerNode)]);
    return { farms, nodes, user: { mnemonic, keyType, ...user } };
  } finally {
    await chain.close();
  }
}
