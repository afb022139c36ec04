/**
 * The grid proxy's HTTP server (node:http): ThreeFold's routes at the root, strict slash (`/nodes/` → 301
 * `/nodes`), ids `[0-9]+`, Go's plain-text `404 page not found` for anything else, and on every handled reply
 * `Content-Type: application/json`, `Access-Control-Allow-Origin: *`, `Access-Control-Expose-Headers: *` and a
 * body of one JSON value and a newline. The answers come from query.ts over the index the caller keeps.
 *
 *   const srv = await startGridProxyServer({ index: () => indexer.index(), statistics: (id) => … }, { port: 0 });
 *   fetch(`${srv.url}/nodes?status=up`)
 * @module
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { errorText } from '../../protocol/common/errors';
import type { GridIndex } from './model';
import { BILLS_KEYS, parseQuery } from './params';
import { contractById, nodeById, nodeGpus, nodeStatus, queryContracts, queryFarms, queryNodes, queryPublicIps, queryStats, queryTwins, type ApiResponse } from './query';

export interface GridProxySource {
  /** The current index (the indexer keeps it fresh). */
  index(): GridIndex;
  /** A node's own `zos.statistics.get` answer, relayed (`/nodes/{id}/statistics`). */
  statistics(nodeId: number): Promise<unknown>;
  /** Resolves when the index holds what the chain had at the call (list endpoints wait for it). */
  fresh?(): Promise<void>;
  /** `/health`: when each part was last refreshed (unix s). */
  health?(): { chain: number; nodes: number };
}

export interface GridProxyServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const GRID_PROXY_VERSION = 'tfgrid-local-gridproxy';

const ROUTES = [
  '/',
  '/ping',
  '/version',
  '/health',
  '/nodes',
  '/gateways',
  '/nodes/{id}',
  '/gateways/{id}',
  '/nodes/{id}/status',
  '/gateways/{id}/status',
  '/nodes/{id}/statistics',
  '/nodes/{id}/gpu',
  '/farms',
  '/twins',
  '/twins/{id}/consumption',
  '/contracts',
  '/contracts/{id}',
  '/contracts/{id}/bills',
  '/public_ips',
  '/stats',
];

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

/** Routes one GET (any method, as upstream) to its answer; undefined = no such route (404 text). */
export async function route(src: GridProxySource, pathname: string, query: URLSearchParams): Promise<ApiResponse | undefined> {
  const ix = () => src.index();
  if (/^\/(nodes|gateways|farms|twins|contracts|public_ips|stats)(\/|$)/.test(pathname)) await src.fresh?.();
  switch (pathname) {
    case '/':
      return ok(`welcome to grid proxy server, available endpoints [${ROUTES.join(', ')}]`);
    case '/ping':
      return ok({ ping: 'pong' });
    case '/version':
      return ok({ version: GRID_PROXY_VERSION });
    case '/health': {
      const h = src.health?.() ?? { chain: 0, nodes: 0 };
      return ok({ total_state_ok: true, db_conn: 'ok', rmb_conn: 'ok', indexers: { health: { updated_at: h.nodes }, workloads: { updated_at: h.nodes }, features: { updated_at: h.nodes } } });
    }
    case '/nodes':
    case '/gateways':
      return queryNodes(ix(), query);
    case '/farms':
      return queryFarms(ix(), query);
    case '/twins':
      return queryTwins(ix(), query);
    case '/contracts':
      return queryContracts(ix(), query);
    case '/public_ips':
      return queryPublicIps(ix(), query);
    case '/stats':
      return queryStats(ix(), query);
  }
  const m = /^\/(nodes|gateways|twins|contracts)\/([0-9]+)(?:\/([a-z_]+))?$/.exec(pathname);
  if (!m) return undefined;
  const [, kind, idText, sub] = m;
  const id = Number(idText);
  if ((kind === 'nodes' || kind === 'gateways') && sub === undefined) return nodeById(ix(), id, kind === 'gateways');
  if ((kind === 'nodes' || kind === 'gateways') && sub === 'status') return nodeStatus(ix(), id);
  if (kind === 'nodes' && sub === 'gpu') return nodeGpus(ix(), id);
  if (kind === 'nodes' && sub === 'statistics') {
    const st = nodeStatus(ix(), id);
    if (st.status !== 200) return st;
    const status = (st.body as { status: string }).status;
    if (status !== 'up') return { status: 500, body: { error: `cannot fetch statistics from node ${id} with status: ${status}` } };
    try {
      return ok(await src.statistics(id));
    } catch (err) {
      return { status: 500, body: { error: `failed to get node statistics from node ${id}: ${errorText(err)}` } };
    }
  }
  if (kind === 'twins' && sub === 'consumption') return ok({ last_hour_consumption: 0, overall_consumption: 0 });
  if (kind === 'contracts' && sub === undefined) return contractById(ix(), id);
  if (kind === 'contracts' && sub === 'bills') {
    const p = parseQuery(query, BILLS_KEYS);
    return p.ok ? { status: 200, body: [], headers: p.values.ret_count ? { Count: '0', Size: String(p.values.size ?? 50), Pages: '0' } : {} } : { status: 400, body: { error: p.error } };
  }
  return undefined;
}

export async function startGridProxyServer(src: GridProxySource, opts: { port?: number; host?: string } = {}): Promise<GridProxyServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
      res.writeHead(301, { Location: url.pathname.replace(/\/+$/, '') + url.search }).end();
      return;
    }
    route(src, url.pathname, url.searchParams).then(
      (r) => {
        if (!r) {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end('404 page not found\n');
          return;
        }
        res
          .writeHead(r.status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': '*', ...(r.headers ?? {}) })
          .end(JSON.stringify(r.body) + '\n');
      },
      (err) => {
        res.writeHead(500, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' }).end(JSON.stringify({ error: errorText(err) }) + '\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
