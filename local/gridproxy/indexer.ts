/**
 * Keeps the grid proxy's index current: every `pollMs` it reads the chain's farms, nodes, twins and contracts
 * (whole maps, as upstream's indexer follows every event) and asks every node for `zos.statistics.get` over RMB
 * (ZOS nodes report uptime and capacity; upstream polls its own indexers), and once its
 * `zos.system.node_features_get` (the full list until it answers). A node that answers is `up` and its
 * report gives used capacity; one silent for `downAfterS` is `down`. A contract that vanishes from the chain
 * (cancelled) stays listed as `Deleted`, as upstream's indexer keeps it. A created or cancelled contract, or a
 * stopped node, shows within one poll.
 * @module
 */
import { z } from 'zod';
import { errorText } from '../../protocol/common/errors';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { contractSchema, farmSchema, nodeSchema, twinSchema } from '../../protocol/chain/types';
import type { ChainClient } from '../../protocol/chain';
import { u8aToHex } from '@polkadot/util';
import type { ContractState, GridIndex, IndexedContract, IndexedFarm, IndexedNode, IndexedTwin, NodeGpu, NodeReport } from './model';

/** Full-node features (ZOS `zos.system.node_features_get` of a node with `zmachine` and `network`). */
const FULL_NODE_FEATURES = ['zmount', 'network', 'zdb', 'zmachine', 'volume', 'ipv4', 'ip', 'gateway-name-proxy', 'gateway-fqdn-proxy', 'qsfs', 'zlogs', 'yggdrasil', 'mycelium', 'wireguard'];

const n = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));
const cap = z.object({ cru: n.default(0), sru: n.default(0), hru: n.default(0), mru: n.default(0) }).passthrough();
/** A card of `zos.gpu.list` (zosbase pkg/gpu: `id`, `vendor`, `device`, `contract`; `vram` is not indexed). */
const gpuSchema = z
  .object({ id: z.string(), vendor: z.string(), device: z.string(), contract: n.default(0) })
  .transform((g) => ({ id: g.id, vendor: g.vendor, device: g.device, contract: g.contract }));

export const nodeStatisticsSchema = z
  .object({
    total: cap,
    used: cap,
    users: z
      .object({ deployments: n.default(0), workloads: n.default(0) })
      .passthrough()
      .optional(),
  })
  .passthrough();

export interface IndexerDeps {
  chain: ChainClient;
  /** One RMB call to a node twin, its JSON reply parsed (the daemon's own peer). */
  call(twinId: number, command: string, timeoutMs: number): Promise<unknown>;
  log?: Logger;
  /** Unix seconds (tests pass a fixed clock). */
  now?: () => number;
}

export interface IndexerOptions {
  /** How often the chain and the nodes are read (default 2000 ms). */
  pollMs?: number;
  /** A node silent for this long is `down` (default 3 polls + the call timeout, at least 10 s). */
  downAfterS?: number;
  /** One node call's deadline (default 3000 ms: a silent node must not hold up the others' reports). */
  callTimeoutMs?: number;
}

export interface Indexer {
  index(): GridIndex;
  /** Reads the chain and the nodes once now (the first call is made by `start`). */
  refresh(): Promise<void>;
  /**
   * Resolves once a chain read that started after this call has finished: an answer then holds every contract,
   * node and twin the chain had when the request came (a deployer that just created a contract finds it).
   */
  fresh(): Promise<void>;
  /** Relays `zos.statistics.get` to a node (`/nodes/{id}/statistics`). */
  statistics(nodeId: number): Promise<unknown>;
  health(): { chain: number; nodes: number };
  close(): void;
}

const STATE: Record<string, ContractState> = { created: 'Created', gracePeriod: 'GracePeriod', deleted: 'Deleted' };

/** Chain `Bytes` fields that hold text arrive as hex; non-text stays hex-decoded by the shared schemas. */
function num(v: unknown): number | null {
  const x = Number(v);
  return v === '' || v === null || v === undefined || !Number.isFinite(x) ? null : x;
}

export async function startIndexer(deps: IndexerDeps, opts: IndexerOptions = {}): Promise<Indexer> {
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const pollMs = opts.pollMs ?? 2000;
  const callTimeoutMs = opts.callTimeoutMs ?? 3000;
  const downAfterS = opts.downAfterS ?? Math.max(10, Math.ceil((3 * pollMs + callTimeoutMs) / 1000));
  const q = deps.chain.api.query;

  let farms: IndexedFarm[] = [];
  let nodes: IndexedNode[] = [];
  let twins: IndexedTwin[] = [];
  const contracts = new Map<number, IndexedContract>();
  const firstSeen = new Map<string, number>();
  const reports = new Map<number, NodeReport>();
  /** Each node's own feature list, asked once (a light node's differs from a full node's). */
  const featureLists = new Map<number, string[]>();
  /** Each node's GPU cards (`zos.gpu.list`), asked with the features: this grid's nodes never bind a card to a contract. */
  const gpuLists = new Map<number, NodeGpu[]>();
  let chainAt = 0;
  let nodesAt = 0;
  /** Date.now() at the start of the last finished chain read. */
  let chainReadStarted = 0;
  let chainRead: Promise<void> | undefined;
  const seen = (key: string) => {
    if (!firstSeen.has(key)) firstSeen.set(key, now());
    return firstSeen.get(key) as number;
  };

  async function readChain(): Promise<void> {
    const started = Date.now();
    const [farmEntries, nodeEntries, twinEntries, contractEntries, feeEntries] = await Promise.all([
      q.tfgridModule.farms.entries(),
      q.tfgridModule.nodes.entries(),
      q.tfgridModule.twins.entries(),
      q.smartContractModule.contracts.entries(),
      // a node's extra fee makes it dedicated: only a renter may deploy there (upstream reads it as `extra_fee`)
      q.smartContractModule.dedicatedNodesExtraFee.entries(),
    ]);
    const extraFees = new Map(feeEntries.map(([k, v]) => [Number((k.args[0] as { toString(): string }).toString()), Number(v.toString())]));
    const parse = <T>(entries: [unknown, { toJSON(): unknown }][], schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): { raw: Record<string, unknown>; v: T }[] =>
      entries.flatMap(([, c]) => {
        const raw = c.toJSON();
        const r = schema.safeParse(raw);
        return r.success ? [{ raw: raw as Record<string, unknown>, v: r.data }] : [];
      });
    farms = parse(farmEntries, farmSchema)
      .map(({ raw, v }) => ({
        farmId: v.id,
        name: v.name,
        twinId: v.twinId,
        pricingPolicyId: v.pricingPolicyId,
        certificationType: (raw.certification === 'Gold' ? 'Gold' : 'NotCertified') as IndexedFarm['certificationType'],
        stellarAddress: '',
        dedicated: v.dedicatedFarm,
        publicIps: v.publicIps.map((p) => ({ id: `${v.id}-${p.ip}`, ip: p.ip, gateway: p.gateway, contractId: p.contractId })),
      }))
      .sort((a, b) => a.farmId - b.farmId);
    nodes = parse(nodeEntries, nodeSchema)
      .map(({ raw, v }) => ({
        nodeId: v.id,
        farmId: v.farmId,
        twinId: v.twinId,
        created: num(raw.created) ?? seen(`node/${v.id}`),
        country: v.location.country,
        city: v.location.city,
        latitude: num(v.location.latitude),
        longitude: num(v.location.longitude),
        publicConfig: v.publicConfig
          ? { ipv4: v.publicConfig.ip4.ip, gw4: v.publicConfig.ip4.gw, ipv6: v.publicConfig.ip6?.ip ?? '', gw6: v.publicConfig.ip6?.gw ?? '', domain: v.publicConfig.domain ?? '' }
          : undefined,
        certificationType: (v.certification === 'Certified' ? 'Certified' : 'Diy') as IndexedNode['certificationType'],
        total: { cru: Number(v.resources.cru), sru: Number(v.resources.sru), hru: Number(v.resources.hru), mru: Number(v.resources.mru) },
        serialNumber: '',
        features: featureLists.get(v.id) ?? FULL_NODE_FEATURES,
        gpus: gpuLists.get(v.id) ?? [],
        extraFee: extraFees.get(v.id) ?? 0,
        report: reports.get(v.id),
      }))
      .sort((a, b) => a.nodeId - b.nodeId);
    twins = parse(twinEntries, twinSchema)
      .map(({ v }) => ({ twinId: v.id, accountId: v.accountId, relay: v.relay ?? '', publicKey: v.pk ? u8aToHex(v.pk) : '' }))
      .sort((a, b) => a.twinId - b.twinId);
    const live = new Set<number>();
    for (const { v } of parse(contractEntries, contractSchema)) {
      live.add(v.contractId);
      const base = { contractId: v.contractId, twinId: v.twinId, state: STATE[v.state], createdAt: seen(`contract/${v.contractId}`) };
      contracts.set(
        v.contractId,
        v.type === 'node'
          ? { ...base, type: 'node', nodeId: v.nodeId, deploymentData: v.deploymentData, deploymentHash: v.deploymentHash, numberOfPublicIps: v.publicIps }
          : v.type === 'name'
            ? { ...base, type: 'name', name: v.name }
            : { ...base, type: 'rent', nodeId: v.nodeId },
      );
    }
    for (const c of contracts.values()) if (!live.has(c.contractId)) c.state = 'Deleted';
    chainAt = now();
    chainReadStarted = Math.max(chainReadStarted, started);
  }

  /** One chain read at a time; callers share it. */
  const readChainOnce = (): Promise<void> =>
    (chainRead ??= readChain().finally(() => {
      chainRead = undefined;
    }));

  async function fresh(): Promise<void> {
    const asked = Date.now();
    while (chainReadStarted < asked) {
      try {
        await readChainOnce();
      } catch (err) {
        log.warn('grid proxy chain read failed', { error: errorText(err) });
        return;
      }
    }
  }

  async function readNodes(): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const s = nodeStatisticsSchema.parse(await deps.call(node.twinId, 'zos.statistics.get', callTimeoutMs));
          const prev = reports.get(node.nodeId);
          const t = now();
          // a gap longer than `downAfterS` means the node went away: its uptime starts again
          const since = prev && prev.at >= t - downAfterS ? prev.since : t;
          const r: NodeReport = {
            at: t,
            since,
            used: { cru: s.used.cru, sru: s.used.sru, hru: s.used.hru, mru: s.used.mru },
            deployments: s.users?.deployments ?? 0,
            workloads: s.users?.workloads ?? 0,
          };
          reports.set(node.nodeId, r);
          node.report = r;
          if (!featureLists.has(node.nodeId)) {
            // upstream's indexer asks it too: a light node lists network-light and zmachine-light instead
            const f = z.array(z.string()).parse(await deps.call(node.twinId, 'zos.system.node_features_get', callTimeoutMs));
            featureLists.set(node.nodeId, f);
            node.features = f;
          }
          if (!gpuLists.has(node.nodeId)) {
            const g = z.array(gpuSchema).parse(await deps.call(node.twinId, 'zos.gpu.list', callTimeoutMs));
            gpuLists.set(node.nodeId, g);
            node.gpus = g;
          }
        } catch (err) {
          log.debug('node did not report', { node: node.nodeId, error: errorText(err) });
        }
      }),
    );
    nodesAt = now();
  }

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (running ??= (async () => {
      try {
        await readChainOnce();
        await readNodes();
      } catch (err) {
        log.warn('grid proxy refresh failed', { error: errorText(err) });
      } finally {
        running = undefined;
      }
    })());
  const loop = async () => {
    await refresh();
    if (!closed) timer = setTimeout(loop, pollMs);
  };
  await loop();

  return {
    index: () => ({ farms, nodes, twins, contracts: [...contracts.values()].sort((a, b) => a.contractId - b.contractId), now: now(), downAfterS }),
    refresh,
    fresh,
    async statistics(nodeId) {
      const node = nodes.find((x) => x.nodeId === nodeId);
      if (!node) throw new Error(`node ${nodeId} not found`);
      return deps.call(node.twinId, 'zos.statistics.get', callTimeoutMs);
    },
    health: () => ({ chain: chainAt, nodes: nodesAt }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
