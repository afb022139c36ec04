/**
 * The provider's Grid Proxy client (ThreeFold's REST indexer of the chain and the nodes' reports; the local grid
 * runs one too): node discovery with server-side filters, one node's facts, a twin's contracts. Replies are
 * checked with zod at this edge. A proxy that cannot be reached (refused, timed out, a 5xx) is a
 * `GridProxyUnreachable`, on which callers fall back to the chain and RMB and say so; a 4xx is a real error.
 *
 *   const proxy = createGridProxyClient('http://127.0.0.1:8070');
 *   await proxy.nodes({ status: 'up', free_mru: 2 ** 30, domain: true }) // → [{ nodeId: 1, … }]
 * @module
 */
import { z } from 'zod';
import { TfgridError, errorText } from '../protocol/common/errors';
import type { Logger } from '../protocol/common/log';
import { gpuCardSchema } from './resources/gpu-filter';

/** The proxy could not be reached or failed on its side: the caller may fall back to the chain. */
export class GridProxyUnreachable extends TfgridError {}

const num = z.number();
const capacity = z.object({ cru: num, sru: num, hru: num, mru: num }).passthrough();

/** The fields of a `/nodes` item the provider reads (upstream's names and types; more are passed through). */
export const proxyNodeSchema = z
  .object({
    nodeId: num,
    farmId: num,
    twinId: num,
    country: z.string(),
    status: z.string(),
    total_resources: capacity,
    used_resources: capacity,
    publicConfig: z.object({ ipv4: z.string(), ipv6: z.string(), domain: z.string() }).passthrough(),
    farm_free_ips: num,
    // rental, certification and GPU facts (defaults for proxies that predate a field)
    inDedicatedFarm: z.boolean().default(false),
    rentedByTwinId: num.default(0),
    rentable: z.boolean().default(true),
    extraFee: num.default(0),
    certificationType: z.string().default(''),
    num_gpu: num.default(0),
    // the cards; upstream's list may leave them out (null): the proxy's own GPU filters decided then
    gpus: z.array(gpuCardSchema).nullish().catch(undefined),
    farmName: z.string().default(''),
    city: z.string().default(''),
  })
  .passthrough();
export type ProxyNode = z.output<typeof proxyNodeSchema>;

/** `/nodes/{id}`: the same, with resources under `capacity`. */
const proxyNodeDetailSchema = z
  .object({ capacity: z.object({ total_resources: capacity, used_resources: capacity }) })
  .passthrough()
  .transform((d) => proxyNodeSchema.parse({ ...d, total_resources: d.capacity.total_resources, used_resources: d.capacity.used_resources }));

export const proxyContractSchema = z
  .object({
    contract_id: num,
    twin_id: num,
    state: z.string(),
    type: z.enum(['node', 'name', 'rent']),
    details: z.object({ nodeId: num.optional(), name: z.string().optional() }).passthrough(),
  })
  .passthrough();
export type ProxyContract = z.output<typeof proxyContractSchema>;

export type ProxyQuery = Record<string, string | number | boolean | readonly number[] | undefined>;

export interface GridProxyApi {
  readonly url: string;
  /** `/nodes` with `query` (one page; `size`/`page` as given). */
  nodes(query: ProxyQuery): Promise<ProxyNode[]>;
  /** `/nodes/{id}`; undefined for a 404. */
  node(nodeId: number): Promise<ProxyNode | undefined>;
  /** `/contracts` with `query`. */
  contracts(query: ProxyQuery): Promise<ProxyContract[]>;
}

/** `key=value&…`, lists comma-joined, undefined dropped (as grid_client encodes). */
export function encodeQuery(q: ProxyQuery): string {
  return Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(Array.isArray(v) ? v.join(',') : String(v))}`)
    .join('&');
}

export function createGridProxyClient(baseUrl: string, opts: { timeoutMs?: number } = {}): GridProxyApi {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  async function get(path: string): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new GridProxyUnreachable(`grid proxy ${base} unreachable: ${errorText(err)}`, { fix: 'check tfgrid:gridProxyUrl (or TFGRID_GRID_PROXY_URL)' }, { cause: err });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    if (res.status >= 500) throw new GridProxyUnreachable(`grid proxy ${base}${path}: HTTP ${res.status} ${text.trim().slice(0, 200)}`);
    return { status: res.status, body };
  }
  const fail = (path: string, r: { status: number; body: unknown }) =>
    new TfgridError(`grid proxy ${base}${path} answered HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`, { fix: 'check tfgrid:gridProxyUrl points at a ThreeFold grid proxy' });
  return {
    url: base,
    async nodes(q) {
      const path = `/nodes?${encodeQuery(q)}`;
      const r = await get(path);
      if (r.status !== 200) throw fail(path, r);
      return z.array(proxyNodeSchema).parse(r.body);
    },
    async node(id) {
      const path = `/nodes/${id}`;
      const r = await get(path);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw fail(path, r);
      return proxyNodeDetailSchema.parse(r.body);
    },
    async contracts(q) {
      const path = `/contracts?${encodeQuery(q)}`;
      const r = await get(path);
      if (r.status !== 200) throw fail(path, r);
      return z.array(proxyContractSchema).parse(r.body);
    },
  };
}

/** Every page of `/nodes` for `query` (pages of `size`, at most `maxPages`). */
export async function allNodes(proxy: GridProxyApi, query: ProxyQuery, opts: { size?: number; maxPages?: number } = {}): Promise<ProxyNode[]> {
  const size = opts.size ?? 100;
  const out: ProxyNode[] = [];
  for (let page = 1; page <= (opts.maxPages ?? 10); page++) {
    const got = await proxy.nodes({ ...query, size, page });
    out.push(...got);
    if (got.length < size) break;
  }
  return out;
}

/**
 * The gateway nodes (with a domain) where `twinId` has an active node contract: two proxy queries, whatever the
 * size of the grid (the chain path scans every contract and every farm).
 */
export async function twinGatewayNodes(proxy: GridProxyApi, twinId: number): Promise<ProxyNode[]> {
  const contracts = await proxy.contracts({ twin_id: twinId, type: 'node', state: 'Created,GracePeriod', size: 1000 });
  const ids = [...new Set(contracts.flatMap((c) => (c.details.nodeId !== undefined ? [c.details.nodeId] : [])))].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  return allNodes(proxy, { node_ids: ids, domain: true });
}

/** Says once per process, on the plugin's stderr (the Pulumi CLI shows it) and in the log, that the proxy is skipped. */
export function proxyFallback(deps: { log: Logger }, proxy: GridProxyApi, err: unknown): void {
  const line = `${errorText(err)}: finding nodes from the chain and asking each node over RMB instead (slow on a large grid)`;
  deps.log.warn(line, { gridProxy: proxy.url });
  process.stderr.write(`tfgrid: ${line}\n`);
}
