/**
 * The zdb server on the node's own addresses (zos-protocol.md §4 zdb result `{"Namespace","IPs","Port"}`:
 * "addresses reachable from other nodes' networks"; issue 9 "port 9900 on the node's addresses").
 *
 * A node daemon of the local grid stays in the root namespace (chain, relay and hub listen on 127.0.0.1
 * there), while the node's addresses live in its host namespace. `exposeZdbInNetns` listens on the node's
 * address inside that namespace (`relayFromNetns` of node/backends/netns-listen.ts), relays each connection to
 * the node's 0-db server, and the workload results then list the namespace-side address and port.
 *
 * ```ts
 * const inner = await createLinuxZdbBackend({ log }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
 * const zdb = await exposeZdbInNetns({ log }, inner, { netns: 'tfg-n2', host: '198.18.0.12', port: 9900 });
 * await zdb.create(spec);   // → { Namespace, IPs: ['198.18.0.12'], Port: 9900 }
 * ```
 * @module
 */
import type { Logger } from '../../../protocol/common/log';
import { relayFromNetns } from '../netns-listen';
import { ZDB_DEFAULT_PORT, type ZdbBackend, type ZdbResult } from './zdb';

export interface ExposeZdbOptions {
  /** The node's host namespace, where its addresses live. */
  netns: string;
  /** The node's address there (no prefix length); what the results list. */
  host: string;
  /** Default 9900 (ZOS); 0 = any free port (tests). */
  port?: number;
}

/**
 * `inner` (listening on 127.0.0.1 in this namespace) served on `opts.host:opts.port` inside `opts.netns`:
 * every result and `endpoint()` name that address; `close` stops the listener, then `inner`.
 */
export async function exposeZdbInNetns(deps: { log: Logger }, inner: ZdbBackend, opts: ExposeZdbOptions): Promise<ZdbBackend> {
  const log = deps.log.child({ component: 'zdb-netns' });
  const target = inner.endpoint();
  const relay = await relayFromNetns({ log }, { netns: opts.netns, host: opts.host, port: opts.port ?? ZDB_DEFAULT_PORT, to: { host: target.IPs[0], port: target.Port }, what: 'zdb listener' });
  const port = relay.port;
  log.info('zdb listening on the node address', { netns: opts.netns, host: opts.host, port });
  const IPs = [opts.host];
  const advertise = (r: ZdbResult): ZdbResult => ({ Namespace: r.Namespace, IPs: [...IPs], Port: port });
  return {
    create: async (spec) => advertise(await inner.create(spec)),
    update: async (spec) => advertise(await inner.update(spec)),
    remove: (name) => inner.remove(name),
    pause: (name) => inner.pause(name),
    resume: (name) => inner.resume(name),
    get: (name) => inner.get(name),
    list: () => inner.list(),
    endpoint: () => ({ IPs: [...IPs], Port: port }),
    async close() {
      await relay.close();
      await inner.close();
    },
  };
}
