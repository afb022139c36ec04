/**
 * The real grid behind the provider (composition root, style.md §5; rmb-tfchain.md §A, §B): a TFChain client
 * signing with the twin's key, an RMB peer on the relay, typed ZOS node clients, and the ZOS codec (challenge
 * hash + signature from protocol/zos), adapted to the narrow `CoordinatorDeps` of provider/deps.ts. On network
 * `local` the chain/relay URLs and, when no mnemonic is configured, the local grid's funded user come from the
 * local grid's state file (`tfgrid local up`).
 * @module
 */
import { ChainError, InputError, RmbError, ZosError, errorText } from '../protocol/common/errors';
import { cryptoReady, identityFromSecret } from '../protocol/common/identity';
import { createChainClient, type ChainClient, type ContractOp as ChainOp } from '../protocol/chain';
import { createNodeClient, type NodeClient } from '../protocol/rmb/node-client';
import { createRmbPeer } from '../protocol/rmb/peer';
import { createChainTwinDirectory } from '../protocol/rmb/twin-directory';
import { hashDeployment, parseDeployment, signDeployment, deploymentToWire, type Deployment } from '../protocol/zos';
import { NETWORK_URLS, requireMnemonic, type ProviderConfig } from './config';
import type { ChainNodeInfo, ContractOp, CoordinatorDeps, NodeApi, DeploymentJson, WorkloadJson } from './deps';
import { readLocalGrid } from './local-grid';
import { createGridProxyClient, type GridProxyApi } from './grid-proxy';
import { defaultDepsParts, type GridConnection } from './runtime';

/** JSON-safe copy: bigints (u64 sizes, ids) become numbers; they stay below 2^53 for real grids. */
function plain<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))) as T;
}

/** The protocol's deployment as the coordinator's JSON (`DeploymentJson`). */
export function deploymentJson(d: Deployment): DeploymentJson {
  return plain<DeploymentJson>(deploymentToWire(d));
}

/** The coordinator's JSON back into the protocol's deployment (validated). */
export function deploymentFromJson(d: DeploymentJson): Deployment {
  return parseDeployment(d);
}

/** `solutionProviderId` (tfgrid:solutionProviderId) goes on every node contract created. */
function toChainOp(op: ContractOp, solutionProviderId: number | undefined): ChainOp {
  switch (op.kind) {
    case 'createNode':
      return { op: 'createNodeContract', nodeId: op.nodeId, hash: op.hash, data: op.data, publicIps: op.publicIps, ...(solutionProviderId ? { solutionProviderId } : {}) };
    case 'updateNode':
      return { op: 'updateNodeContract', contractId: op.contractId, hash: op.hash, data: op.data };
    case 'cancel':
      return { op: 'cancelContract', contractId: op.contractId };
    case 'createName':
      return { op: 'createNameContract', name: op.name };
    case 'createRent':
      return { op: 'createRentContract', nodeId: op.nodeId, ...(op.solutionProviderId ? { solutionProviderId: op.solutionProviderId } : {}) };
  }
}

/** Node errors keep the node's text (ZosError.context.nodeMessage) so the coordinator can classify them. */
function nodeError(node: number, err: unknown): Error {
  if (err instanceof RmbError && typeof err.context.nodeMessage === 'string') {
    return new ZosError(err.message, { ...err.context, node }, { cause: err });
  }
  return err instanceof Error ? err : new RmbError(errorText(err), { node });
}

export function nodeApiOf(nodeId: number, client: NodeClient): NodeApi {
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw nodeError(nodeId, err);
    }
  };
  return {
    deploy: (d) => wrap(() => client.deployment.deploy(deploymentFromJson(d))),
    update: (d) => wrap(() => client.deployment.update(deploymentFromJson(d))),
    get: (id) => wrap(async () => deploymentJson(await client.deployment.get(id))),
    list: () => wrap(async () => (await client.deployment.list()).map(deploymentJson)),
    changes: (id) => wrap(async () => plain<WorkloadJson[]>(await client.deployment.changes(id))),
    listPrivateIps: (name) => wrap(() => client.network.listPrivateIps(name)),
    listWgPorts: () => wrap(() => client.network.listWgPorts()),
    publicConfig: async () => {
      try {
        const c = plain<{ ipv4?: string; ipv6?: string; gw4?: string; gw6?: string; domain?: string }>(await client.network.publicConfigGet());
        return c;
      } catch (err) {
        if (/no public configuration/.test(errorText(err))) return undefined;
        throw nodeError(nodeId, err);
      }
    },
    statistics: () =>
      wrap(async () => plain<{ total: { cru: number; mru: number; sru: number; hru: number }; used: { cru: number; mru: number; sru: number; hru: number } }>(await client.statistics.get())),
    features: () => wrap(async () => [...(await client.system.nodeFeaturesGet())]),
  };
}

async function getNode(chain: ChainClient, nodeId: number): Promise<ChainNodeInfo | undefined> {
  const n = await chain.getNode(nodeId);
  if (!n) return undefined;
  return {
    nodeId: n.id,
    twinId: n.twinId,
    farmId: n.farmId,
    resources: { cru: Number(n.resources.cru), mru: Number(n.resources.mru), sru: Number(n.resources.sru), hru: Number(n.resources.hru) },
    country: n.location.country,
    publicConfig: n.publicConfig ? { ip4: n.publicConfig.ip4.ip, ip6: n.publicConfig.ip6?.ip, domain: n.publicConfig.domain ?? undefined } : undefined,
  };
}

async function listNodes(chain: ChainClient): Promise<ChainNodeInfo[]> {
  const out: ChainNodeInfo[] = [];
  // Farms are numbered from 1; the local grid has a few. Mainnet would need the grid proxy instead.
  for (let farmId = 1; farmId < 10_000; farmId++) {
    const farm = await chain.getFarm(farmId);
    if (!farm) break;
    for (const nodeId of await chain.getNodesByFarm(farmId)) {
      const n = await getNode(chain, nodeId);
      if (n) out.push(n);
    }
  }
  return out;
}

/** Connects chain + relay for `config` and returns the coordinator's dependencies. */
export async function createGridConnection(config: ProviderConfig): Promise<GridConnection> {
  let { chainUrls, relayUrls, mnemonic } = config;
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  let gridProxyUrl: string | undefined = config.gridProxyUrl;
  // The network's public proxy describes the network's chain: with other chain URLs and no proxy of their own,
  // there is none to ask (the chain and the nodes are, and a log line says so).
  if (gridProxyUrl === NETWORK_URLS[config.network].gridProxy[0] && !same(chainUrls, NETWORK_URLS[config.network].chain)) gridProxyUrl = undefined;
  if (config.network === 'local') {
    // Defaults only: URLs given in config or the environment win over the local grid's state file.
    const local = readLocalGrid();
    if (local.chainUrl && same(chainUrls, NETWORK_URLS.local.chain)) chainUrls = [local.chainUrl];
    if (local.gridProxyUrl && config.gridProxyUrl === NETWORK_URLS.local.gridProxy[0] && same(config.chainUrls, NETWORK_URLS.local.chain)) gridProxyUrl = local.gridProxyUrl;
    if (local.relayUrl && same(relayUrls, NETWORK_URLS.local.relay)) relayUrls = [local.relayUrl];
    if (!mnemonic && local.mnemonic) mnemonic = local.mnemonic;
  }
  const secret = requireMnemonic({ ...config, mnemonic });
  await cryptoReady();
  const identity = identityFromSecret(secret, config.keyType, config.mnemonicSource ?? 'tfgrid:mnemonic');
  const chain = await createChainClient({ urls: chainUrls, signer: identity });
  let twinId: number;
  try {
    twinId = (await chain.ensureTwin({ relay: new URL(relayUrls[0]).hostname })).id;
  } catch (err) {
    await chain.close();
    throw new ChainError(`twin of ${identity.address}: ${errorText(err)}`, { fix: 'fund the account and check tfgrid:network / tfgrid:chainUrls' }, { cause: err });
  }
  const peer = createRmbPeer({ identity, twinId, relayUrls, directory: createChainTwinDirectory(chain), timeoutMs: config.rmbTimeout * 1000 });
  try {
    // A relay URL that refuses fails here at once (naming what answered), not as the first call's timeout.
    await peer.ready(config.rmbTimeout * 1000);
  } catch (err) {
    await peer.close();
    await chain.close();
    throw err instanceof RmbError ? new RmbError(err.message, { ...err.context, path: 'tfgrid:relayUrls' }, { cause: err }) : err;
  }
  await chain.ensureTwin({ relay: new URL(relayUrls[0]).hostname, pk: peer.e2ePublicKey });
  const nodes = new Map<number, NodeApi>();
  const gridProxy: GridProxyApi | undefined = gridProxyUrl ? createGridProxyClient(gridProxyUrl) : undefined;

  const deps: CoordinatorDeps = {
    ...defaultDepsParts,
    ...(gridProxy ? { gridProxy } : {}),
    chain: {
      twinId: async () => twinId,
      submit: async (ops) => {
        const res = await chain.batch(ops.map((op) => toChainOp(op, config.solutionProviderId)));
        return res.map((r) => ({ contractId: r.contractId }));
      },
      getContract: async (id) => {
        const c = await chain.getContract(id);
        if (!c) return undefined;
        const state = c.state === 'gracePeriod' ? 'grace' : c.state;
        if (c.type === 'node') return { contractId: c.contractId, twinId: c.twinId, state, nodeId: c.nodeId, deploymentHash: c.deploymentHash, publicIps: c.publicIps };
        if (c.type === 'name') return { contractId: c.contractId, twinId: c.twinId, state, name: c.name };
        return { contractId: c.contractId, twinId: c.twinId, state, nodeId: c.nodeId };
      },
      nameContractId: async (name) => (await chain.getContractIdByName(name)) ?? 0,
      listNodes: () => listNodes(chain),
      getNode: (id) => getNode(chain, id),
      twinNodeIds: async () => {
        const ids = (await chain.getTwinActiveContracts(twinId)).flatMap((c) => (c.type === 'node' ? [c.nodeId] : []));
        return [...new Set(ids)].sort((a, b) => a - b);
      },
      farmFreePublicIps: async (farmId) => (await chain.getFreePublicIps(farmId)).length,
    },
    async node(nodeId) {
      let api = nodes.get(nodeId);
      if (!api) {
        const n = await chain.getNode(nodeId);
        if (!n) throw new InputError(`node ${nodeId} does not exist on ${config.network}`, { path: 'node', fix: 'pick a node id from `tfgrid local status` or a NodePicker' });
        api = nodeApiOf(nodeId, createNodeClient(peer, n.twinId));
        nodes.set(nodeId, api);
      }
      return api;
    },
    codec: {
      hashDeployment: (d) => hashDeployment(deploymentFromJson(d)),
      signDeployment: (d) => deploymentJson(signDeployment(deploymentFromJson(d), twinId, identity)),
    },
  };
  return {
    deps,
    async close() {
      await peer.close();
      await chain.close();
    },
  };
}
