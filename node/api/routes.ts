/**
 * The node API: every `zos.*` command of a full node (zos-protocol.md §5.2; rmb-tfchain.md §A12), as a
 * table from command to handler. A handler takes the authenticated RMB source twin and the raw payload
 * text and returns the reply as JSON text (u64 values stay exact). Failures are thrown as `ZosError`
 * whose message is the node's text; `dispatch` turns them into the RMB error reply.
 * @module
 */
import { ZosError, errorText } from '../../protocol/common/errors';
import { capJson } from '../engine/capacity';
import type { Backends, NodeFacts } from '../engine/deps';
import type { Engine } from '../engine/engine';
import { contractArgsSchema, debugDeploymentArgsSchema, debugListArgsSchema, decodePayload, ifaceArgSchema, networkNameArgsSchema, perfArgsSchema } from './payload';

export type Handler = (sourceTwin: number, payload: string) => Promise<string>;

/** ZOS texts of the API layer. */
export const API_ERRORS = {
  notFound: 'function is not found',
  deleteDisabled: 'deletion over the api is disabled, please cancel your contract instead',
  unauthorized: 'unauthorized',
  noPublicConfig: 'no public configuration',
  taskNotFound: (name: string) => `task '${name}' not found`,
} as const;

/** Full-node feature list (§1.4, pkg/monitord/system.go). */
export const FULL_NODE_FEATURES = [
  'zmount',
  'network',
  'zdb',
  'zmachine',
  'volume',
  'ipv4',
  'ip',
  'gateway-name-proxy',
  'gateway-fqdn-proxy',
  'qsfs',
  'zlogs',
  'yggdrasil',
  'mycelium',
  'wireguard',
] as const;

/** Light-node feature list (zosbase pkg/zos_api_light): gateway types only when the public config has a domain. */
export function nodeFeatures(facts: Pick<NodeFacts, 'light' | 'publicConfig'>): readonly string[] {
  if (!facts.light) return FULL_NODE_FEATURES;
  const gateways = facts.publicConfig?.domain ? ['gateway-name-proxy', 'gateway-fqdn-proxy'] : [];
  return ['zmachine-light', 'network-light', 'zdb', 'zmount', 'volume', 'qsfs', 'zlogs', 'mycelium', 'wireguard', ...gateways];
}

export interface ApiDeps {
  engine: Engine;
  facts: NodeFacts;
  backends: Backends;
  clock: { now(): number };
  /** Open RMB connections, for `statistics.get` (0 when unknown). */
  openConnections?: () => number;
}

const fail = (text: string): never => {
  throw new ZosError(text, { nodeMessage: text });
};
const json = (v: unknown) => JSON.stringify(v);

export function createRoutes(deps: ApiDeps): Record<string, Handler> {
  const { engine, facts, backends } = deps;
  const startedAt = Math.floor(deps.clock.now() / 1000);
  let publicNic = '';
  const farmerOnly = (twin: number) => {
    if (twin !== facts.farmerTwinId) fail(API_ERRORS.unauthorized);
  };
  const adminOnly = (twin: number) => {
    if (!facts.adminTwins.includes(twin)) fail(API_ERRORS.unauthorized);
  };
  const healthcheck = () => ({
    name: 'healthcheck',
    description: 'node runtime health: storage, queue and backends answer',
    timestamp: Math.floor(deps.clock.now() / 1000),
    result: { storage: 'ok', started: startedAt },
  });

  const routes: Record<string, Handler> = {
    // ---- deployments (scoped to the source twin) ----
    'zos.deployment.deploy': async (twin, p) => {
      await engine.deploy(twin, p);
      return 'null';
    },
    'zos.deployment.update': async (twin, p) => {
      await engine.update(twin, p);
      return 'null';
    },
    'zos.deployment.get': async (twin, p) => engine.get(twin, decodePayload(p, contractArgsSchema).contract_id),
    'zos.deployment.list': async (twin) => engine.list(twin),
    'zos.deployment.changes': async (twin, p) => engine.changes(twin, decodePayload(p, contractArgsSchema).contract_id),
    'zos.deployment.delete': async () => fail(API_ERRORS.deleteDisabled),

    // ---- capacity ----
    'zos.statistics.get': async () => {
      const s = engine.statistics();
      return `{"total":${capJson(s.total)},"used":${capJson(s.used)},"system":${capJson(s.system)},"users":${json(s.users)},"open_connections":${deps.openConnections?.() ?? 0}}`;
    },
    'zos.storage.pools': async () => {
      const used = engine.statistics().used;
      return json(
        [
          { name: 'ssd0', type: 'ssd', size: Number(facts.total.sru), used: Number(used.sru) },
          { name: 'hdd0', type: 'hdd', size: Number(facts.total.hru), used: Number(used.hru) },
        ].filter((p) => p.size > 0),
      );
    },
    'zos.gpu.list': async () => '[]',

    // ---- network ----
    'zos.network.list_wg_ports': async () => json(await backends.network.listWgPorts()),
    'zos.network.public_config_get': async () => {
      if (!facts.publicConfig) return fail(API_ERRORS.noPublicConfig);
      return json(facts.publicConfig);
    },
    'zos.network.interfaces': async () => json(facts.interfaces),
    'zos.network.has_ipv6': async () => json(facts.hasIpv6),
    'zos.network.list_public_ips': async () => {
      const ips: string[] = [];
      for (const twin of engine.twins()) {
        for (const dl of engine.deployments(twin)) {
          for (const w of dl.workloads) {
            if ((w.type === 'ip' || w.type === 'ipv4') && w.result.state === 'ok' && w.result.data) {
              const ip = (JSON.parse(w.result.data) as { ip?: string }).ip;
              if (ip) ips.push(ip);
            }
          }
        }
      }
      return json(ips);
    },
    'zos.network.list_private_ips': async (twin, p) => {
      const { network_name } = decodePayload(p, networkNameArgsSchema);
      const ips: string[] = [];
      for (const dl of engine.deployments(twin)) {
        for (const w of dl.workloads) {
          if (w.type !== 'zmachine' && w.type !== 'zmachine-light') continue;
          if (w.result.state === 'deleted' || w.result.state === 'error') continue;
          const d = JSON.parse(w.data) as { network?: { interfaces?: { network?: string; ip?: string }[] } };
          for (const i of d.network?.interfaces ?? []) if (i.network === network_name && i.ip) ips.push(i.ip);
        }
      }
      return json(ips);
    },

    // ---- system ----
    'zos.system.version': async () => json(facts.version),
    'zos.system.dmi': async () =>
      json({
        tooling: { aggregator: 'tfgrid-node', decoder: 'none' },
        sections: [
          {
            handleline: 'Handle 0x0001, DMI type 1, 27 bytes',
            typestr: 'System Information',
            typenum: 1,
            subsections: [
              {
                title: 'System Information',
                properties: {
                  Manufacturer: { value: 'pulumi-tfgrid', items: [] },
                  'Product Name': { value: 'zos-compatible node runtime', items: [] },
                },
              },
            ],
          },
        ],
      }),
    'zos.system.hypervisor': async () => json(facts.hypervisor),
    'zos.system.diagnostics': async () =>
      json({
        system_status_ok: true,
        modules: { provisiond: { status: 'ok' }, storaged: { status: 'ok' }, networkd: { status: 'ok' }, vmd: { status: 'ok' } },
        healthy: true,
      }),
    'zos.system.node_features_get': async () => json(nodeFeatures(facts)),
    'zos.perf.get': async (_twin, p) => {
      const { name } = decodePayload(p, perfArgsSchema);
      if (name !== 'healthcheck') return fail(API_ERRORS.taskNotFound(name));
      return json(healthcheck());
    },
    'zos.perf.get_all': async () => json([healthcheck()]),
    'zos.location.get': async () => json(facts.location),

    // ---- farmer only ----
    'zos.admin.interfaces': async (twin) => {
      farmerOnly(twin);
      return json({ zos: { ips: facts.interfaces.zos, mac: '' } });
    },
    'zos.admin.get_public_nic': async (twin) => {
      farmerOnly(twin);
      return json({ is_single: publicNic === '', is_dual: publicNic !== '', dual_interface: publicNic });
    },
    'zos.admin.set_public_nic': async (twin, p) => {
      farmerOnly(twin);
      publicNic = decodePayload(p, ifaceArgSchema);
      return 'null';
    },

    // ---- admin twins only (node env config) ----
    'zos.debug.deployment.list': async (twin, p) => {
      adminOnly(twin);
      const { twin_id } = p.trim() === '' || p.trim() === 'null' ? { twin_id: 0 } : decodePayload(p, debugListArgsSchema);
      const twins = twin_id ? [twin_id] : engine.twins();
      const deployments = twins.flatMap((t) =>
        engine.deployments(t).map((dl) => ({
          twin_id: dl.twinId,
          contract_id: Number(dl.contractId),
          workloads: dl.workloads.map((w) => ({ type: w.type, name: w.name, state: w.result.state })),
        })),
      );
      return json({ deployments });
    },
    'zos.debug.deployment.get': async (twin, p) => {
      adminOnly(twin);
      const { t, c } = debugTarget(decodePayload(p, debugDeploymentArgsSchema).deployment);
      return `{"deployment":${engine.get(t, c)}}`;
    },
    'zos.debug.deployment.history': async (twin, p) => {
      adminOnly(twin);
      const { t, c } = debugTarget(decodePayload(p, debugDeploymentArgsSchema).deployment);
      return `{"history":${engine.changes(t, c)}}`;
    },
  };
  return routes;
}

function debugTarget(s: string): { t: number; c: bigint } {
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m) return fail(`invalid deployment id '${s}', expecting <twin>:<contract>`);
  return { t: Number(m[1]), c: BigInt(m[2]) };
}

/** Longest error text sent back: ZOS echoes names and values, and a 10 MB name must not become a 10 MB reply
 * (the relay refuses envelopes over 1 MiB, so the caller would only see a timeout). */
export const MAX_ERROR_TEXT = 2048;

function capError(text: string): string {
  if (text.length <= MAX_ERROR_TEXT) return text;
  return `${text.slice(0, MAX_ERROR_TEXT)}… (${text.length - MAX_ERROR_TEXT} more characters)`;
}

/** Runs a command: the JSON reply text, or `{ error }` with the node's text. Never throws. */
export async function dispatch(routes: Record<string, Handler>, command: string, sourceTwin: number, payload: string): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  const h = Object.hasOwn(routes, command) ? routes[command] : undefined;
  if (!h) return { ok: false, error: API_ERRORS.notFound };
  try {
    return { ok: true, body: await h(sourceTwin, payload) };
  } catch (err) {
    return { ok: false, error: capError(errorText(err)) };
  }
}
