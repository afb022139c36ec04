/**
 * A typed client of a ZOS node's RMB API: one method per `zos.*` command of zos-protocol.md §5.2 (rmb-tfchain.md
 * §A12), grouped as the routes are (`node.deployment.get(…)`, `node.system.version()`). Deployments travel
 * through protocol/zos's codec so u64 sizes and ids stay exact; replies are checked with zod. Node errors
 * arrive as `RmbError` with the node's text unchanged in `context.nodeMessage`.
 * @module
 */
import { parse as losslessParse } from 'lossless-json';
import { z } from 'zod';
import { RmbError } from '../common/errors';
import { deploymentToJson, parseDeployment, workloadSchema, type Deployment, type Workload } from '../zos';
import type { CallOptions, RmbPeer } from './peer';

/** Every command the client sends, by route (zosbase pkg/zos_api/routes.go). */
export const ZOS_COMMANDS = {
  deploymentDeploy: 'zos.deployment.deploy',
  deploymentUpdate: 'zos.deployment.update',
  deploymentGet: 'zos.deployment.get',
  deploymentList: 'zos.deployment.list',
  deploymentChanges: 'zos.deployment.changes',
  deploymentDelete: 'zos.deployment.delete',
  statisticsGet: 'zos.statistics.get',
  storagePools: 'zos.storage.pools',
  gpuList: 'zos.gpu.list',
  networkListWgPorts: 'zos.network.list_wg_ports',
  networkPublicConfigGet: 'zos.network.public_config_get',
  networkInterfaces: 'zos.network.interfaces',
  networkHasIpv6: 'zos.network.has_ipv6',
  networkListPublicIps: 'zos.network.list_public_ips',
  networkListPrivateIps: 'zos.network.list_private_ips',
  systemVersion: 'zos.system.version',
  systemDmi: 'zos.system.dmi',
  systemHypervisor: 'zos.system.hypervisor',
  systemDiagnostics: 'zos.system.diagnostics',
  systemNodeFeaturesGet: 'zos.system.node_features_get',
  perfGet: 'zos.perf.get',
  perfGetAll: 'zos.perf.get_all',
  locationGet: 'zos.location.get',
  adminInterfaces: 'zos.admin.interfaces',
  adminGetPublicNic: 'zos.admin.get_public_nic',
  adminSetPublicNic: 'zos.admin.set_public_nic',
  debugDeploymentList: 'zos.debug.deployment.list',
  debugDeploymentGet: 'zos.debug.deployment.get',
  debugDeploymentHistory: 'zos.debug.deployment.history',
  debugDeploymentInfo: 'zos.debug.deployment.info',
  debugDeploymentHealth: 'zos.debug.deployment.health',
} as const;

/** u64 fields: exact integers that become bigint (a JSON number may exceed 2^53). */
const u64 = z.union([z.number().int().nonnegative(), z.bigint().nonnegative()]).transform((v) => BigInt(v));
const num = z.number();

export const capacitySchema = z.object({ cru: u64.default(0), sru: u64.default(0), hru: u64.default(0), mru: u64.default(0), ipv4u: u64.default(0) }).passthrough();
export type NodeCapacity = z.output<typeof capacitySchema>;

export const statisticsSchema = z
  .object({
    total: capacitySchema,
    used: capacitySchema,
    system: capacitySchema,
    users: z.object({ deployments: num, workloads: num, last_deployment_timestamp: num.optional() }).passthrough(),
    open_connections: num.optional(),
  })
  .passthrough();
export type NodeStatistics = z.output<typeof statisticsSchema>;

export const storagePoolSchema = z.object({ name: z.string(), type: z.string(), size: u64, used: u64 }).passthrough();
export type StoragePool = z.output<typeof storagePoolSchema>;

export const gpuSchema = z.object({ id: z.string(), vendor: z.string(), device: z.string(), vram: u64.optional(), contract: u64 }).passthrough();
export type NodeGpu = z.output<typeof gpuSchema>;

export const publicConfigSchema = z.object({ type: z.string(), ipv4: z.string(), ipv6: z.string(), gw4: z.string(), gw6: z.string(), domain: z.string() }).partial().passthrough();
export type NodePublicConfig = z.output<typeof publicConfigSchema>;

export const versionSchema = z.object({ zos: z.string(), zinit: z.string() }).passthrough();
export type NodeVersion = z.output<typeof versionSchema>;

export const diagnosticsSchema = z
  .object({
    system_status_ok: z.boolean(),
    modules: z.record(z.object({ status: z.unknown().optional(), error: z.string().optional() }).passthrough()).nullish(),
    healthy: z.boolean(),
  })
  .passthrough();
export type NodeDiagnostics = z.output<typeof diagnosticsSchema>;

export const taskResultSchema = z.object({ name: z.string(), description: z.string().optional(), timestamp: u64.optional(), result: z.unknown() }).passthrough();
export type PerfTaskResult = z.output<typeof taskResultSchema>;

export const locationSchema = z.object({ longitude: num, latitude: num, continent: z.string(), country_name: z.string(), country_code: z.string(), city_name: z.string() }).partial().passthrough();
export type NodeLocation = z.output<typeof locationSchema>;

export const publicNicSchema = z.object({ is_single: z.boolean(), is_dual: z.boolean(), dual_interface: z.string() }).partial().passthrough();

/** `null` from Go for empty slices is an empty list here. */
function listOf<T extends z.ZodTypeAny>(item: T) {
  return z
    .array(item)
    .nullable()
    .transform((v) => v ?? []);
}

export interface NodeClient {
  readonly twinId: number;
  deployment: {
    /** Sends a signed deployment (version 0); the node answers `null` and provisions in the background. */
    deploy(d: Deployment, opts?: CallOptions): Promise<void>;
    update(d: Deployment, opts?: CallOptions): Promise<void>;
    /** The caller's deployment; node error `deployment not found` when it has none with that id. */
    get(contractId: number | bigint, opts?: CallOptions): Promise<Deployment>;
    list(opts?: CallOptions): Promise<Deployment[]>;
    /** The transaction log: every workload version with its result. */
    changes(contractId: number | bigint, opts?: CallOptions): Promise<Workload[]>;
    /** Always refused by ZOS (`deletion over the api is disabled, please cancel your contract instead`). */
    delete(contractId: number | bigint, opts?: CallOptions): Promise<void>;
  };
  statistics: { get(opts?: CallOptions): Promise<NodeStatistics> };
  storage: { pools(opts?: CallOptions): Promise<StoragePool[]> };
  gpu: { list(opts?: CallOptions): Promise<NodeGpu[]> };
  network: {
    /** WireGuard ports already taken on the node. */
    listWgPorts(opts?: CallOptions): Promise<number[]>;
    publicConfigGet(opts?: CallOptions): Promise<NodePublicConfig>;
    interfaces(opts?: CallOptions): Promise<Record<string, string[]>>;
    hasIpv6(opts?: CallOptions): Promise<boolean>;
    listPublicIps(opts?: CallOptions): Promise<string[]>;
    /** The caller's private IPs on `networkName`, to avoid clashes. */
    listPrivateIps(networkName: string, opts?: CallOptions): Promise<string[]>;
  };
  system: {
    version(opts?: CallOptions): Promise<NodeVersion>;
    dmi(opts?: CallOptions): Promise<unknown>;
    hypervisor(opts?: CallOptions): Promise<string>;
    diagnostics(opts?: CallOptions): Promise<NodeDiagnostics>;
    nodeFeaturesGet(opts?: CallOptions): Promise<string[]>;
  };
  perf: { get(name: string, opts?: CallOptions): Promise<PerfTaskResult>; getAll(opts?: CallOptions): Promise<PerfTaskResult[]> };
  location: { get(opts?: CallOptions): Promise<NodeLocation> };
  /** Farmer twin only (`unauthorized` otherwise). */
  admin: {
    interfaces(opts?: CallOptions): Promise<Record<string, { ips: string[]; mac: string }>>;
    getPublicNic(opts?: CallOptions): Promise<z.output<typeof publicNicSchema>>;
    setPublicNic(ifname: string, opts?: CallOptions): Promise<void>;
  };
  /** Admin twins of the node only. */
  debug: {
    deploymentList(twinId?: number, opts?: CallOptions): Promise<unknown>;
    deploymentGet(deployment: string, opts?: CallOptions): Promise<unknown>;
    deploymentHistory(deployment: string, opts?: CallOptions): Promise<unknown>;
    deploymentInfo(deployment: string, opts?: CallOptions): Promise<unknown>;
    deploymentHealth(deployment: string, opts?: CallOptions): Promise<unknown>;
  };
}

/** JSON with integers beyond 2^53 as bigint, the rest as numbers. */
function parseExact(text: string): unknown {
  return losslessParse(text, undefined, (s: string) => {
    if (/^-?\d+$/.test(s)) {
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : BigInt(s);
    }
    return Number(s);
  });
}

/**
 * @example
 *   const node = createNodeClient(peer, 11);
 *   const { zos } = await node.system.version();
 *   await node.deployment.deploy(signedDeployment);
 */
export function createNodeClient(peer: RmbPeer, nodeTwinId: number): NodeClient {
  const raw = (command: string, body: string | undefined, opts?: CallOptions) => peer.callRaw(nodeTwinId, command, body, opts);

  async function typed<S extends z.ZodTypeAny>(command: string, schema: S, body: string | undefined, opts?: CallOptions): Promise<z.output<S>> {
    const text = await raw(command, body, opts);
    let value: unknown;
    try {
      value = text.trim() === '' ? null : parseExact(text);
    } catch (err) {
      throw new RmbError(`node twin ${nodeTwinId} ${command}: reply is not JSON: ${(err as Error).message}`, { twin: nodeTwinId, command }, { cause: err });
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new RmbError(`node twin ${nodeTwinId} ${command}: unexpected reply (${issue.path.join('.') || 'value'}: ${issue.message})`, { twin: nodeTwinId, command, reply: text.slice(0, 500) });
    }
    return r.data;
  }
  const nothing = async (command: string, body: string | undefined, opts?: CallOptions) => {
    await raw(command, body, opts);
  };
  const contract = (id: number | bigint) => `{"contract_id":${BigInt(id).toString()}}`;
  const C = ZOS_COMMANDS;

  return {
    twinId: nodeTwinId,
    deployment: {
      deploy: (d, o) => nothing(C.deploymentDeploy, deploymentToJson(d), o),
      update: (d, o) => nothing(C.deploymentUpdate, deploymentToJson(d), o),
      async get(id, o) {
        const text = await raw(C.deploymentGet, contract(id), o);
        return parseDeployment(text);
      },
      async list(o) {
        const text = await raw(C.deploymentList, undefined, o);
        const value = parseExactLossless(text);
        if (value === null) return [];
        if (!Array.isArray(value)) throw new RmbError(`node twin ${nodeTwinId} ${C.deploymentList}: expected a list of deployments`, { twin: nodeTwinId, command: C.deploymentList });
        return value.map((v) => parseDeployment(v));
      },
      async changes(id, o) {
        const value = parseExactLossless(await raw(C.deploymentChanges, contract(id), o));
        if (value === null) return [];
        if (!Array.isArray(value)) throw new RmbError(`node twin ${nodeTwinId} ${C.deploymentChanges}: expected a list of workloads`, { twin: nodeTwinId, command: C.deploymentChanges });
        return value.map((v) => workloadSchema.parse(v));
      },
      delete: (id, o) => nothing(C.deploymentDelete, contract(id), o),
    },
    statistics: { get: (o) => typed(C.statisticsGet, statisticsSchema, undefined, o) },
    storage: { pools: (o) => typed(C.storagePools, listOf(storagePoolSchema), undefined, o) },
    gpu: { list: (o) => typed(C.gpuList, listOf(gpuSchema), undefined, o) },
    network: {
      listWgPorts: (o) => typed(C.networkListWgPorts, listOf(z.number().int()), undefined, o),
      publicConfigGet: (o) => typed(C.networkPublicConfigGet, publicConfigSchema, undefined, o),
      interfaces: (o) => typed(C.networkInterfaces, z.record(listOf(z.string())), undefined, o),
      hasIpv6: (o) => typed(C.networkHasIpv6, z.boolean(), undefined, o),
      listPublicIps: (o) => typed(C.networkListPublicIps, listOf(z.string()), undefined, o),
      listPrivateIps: (name, o) => typed(C.networkListPrivateIps, listOf(z.string()), JSON.stringify({ network_name: name }), o),
    },
    system: {
      version: (o) => typed(C.systemVersion, versionSchema, undefined, o),
      dmi: (o) => typed(C.systemDmi, z.unknown(), undefined, o),
      hypervisor: (o) => typed(C.systemHypervisor, z.string(), undefined, o),
      diagnostics: (o) => typed(C.systemDiagnostics, diagnosticsSchema, undefined, o),
      nodeFeaturesGet: (o) => typed(C.systemNodeFeaturesGet, listOf(z.string()), undefined, o),
    },
    perf: {
      get: (name, o) => typed(C.perfGet, taskResultSchema, JSON.stringify({ name }), o),
      getAll: (o) => typed(C.perfGetAll, listOf(taskResultSchema), undefined, o),
    },
    location: { get: (o) => typed(C.locationGet, locationSchema, undefined, o) },
    admin: {
      interfaces: (o) => typed(C.adminInterfaces, z.record(z.object({ ips: listOf(z.string()), mac: z.string() }).passthrough()), undefined, o),
      getPublicNic: (o) => typed(C.adminGetPublicNic, publicNicSchema, undefined, o),
      setPublicNic: (ifname, o) => nothing(C.adminSetPublicNic, JSON.stringify(ifname), o),
    },
    debug: {
      deploymentList: (twinId, o) => typed(C.debugDeploymentList, z.unknown(), twinId === undefined ? '{}' : JSON.stringify({ twin_id: twinId }), o),
      deploymentGet: (dep, o) => typed(C.debugDeploymentGet, z.unknown(), JSON.stringify({ deployment: dep }), o),
      deploymentHistory: (dep, o) => typed(C.debugDeploymentHistory, z.unknown(), JSON.stringify({ deployment: dep }), o),
      deploymentInfo: (dep, o) => typed(C.debugDeploymentInfo, z.unknown(), JSON.stringify({ deployment: dep }), o),
      deploymentHealth: (dep, o) => typed(C.debugDeploymentHealth, z.unknown(), JSON.stringify({ deployment: dep }), o),
    },
  };

  /** Lossless parse for deployment lists (protocol/zos decodes LosslessNumbers itself). */
  function parseExactLossless(text: string): unknown {
    if (text.trim() === '') return null;
    try {
      return losslessParse(text);
    } catch (err) {
      throw new RmbError(`node twin ${nodeTwinId}: reply is not JSON: ${(err as Error).message}`, { twin: nodeTwinId }, { cause: err });
    }
  }
}
