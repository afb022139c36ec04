/**
 * Entry point of the local grid's service daemons (DESIGN.md §4): `service-main <relay|hub|dns> '<json options>'`.
 * Each one starts its server, prints `READY {json}` (its URL), and runs until SIGTERM, when it closes cleanly.
 * `startLocalGrid` spawns it detached and waits for the READY line.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { errorText, InputError } from '../../protocol/common/errors';
import { createLineLogger, type Logger } from '../../protocol/common/log';
import { createChainClient } from '../../protocol/chain';
import { createRelay } from '../../protocol/rmb/relay';
import { createCachedTwinDirectory, type TwinDirectory } from '../../protocol/rmb/twin-directory';
import { createHub, type Hub } from '../hub/hub';
import { buildBaseRootfs } from '../hub/base-flist';
import { buildK3sStandinRootfs, K3S_STANDIN_FLIST } from '../hub/k3s-flist';
import { buildTlsServerRootfs, TLS_SERVER_FLIST } from '../hub/tls-flist';
import { buildVmKernelRootfs, VM_FLIST } from '../hub/vm-flist';
import { startGridDns } from '../dns/grid-dns';
import { dnsRecordsSchema, type DnsRecords } from './dns-records';
import { startGridProxy } from '../gridproxy/daemon';

export const READY_PREFIX = 'READY ';

export const relayServiceSchema = z.object({ port: z.number().int().min(0), chainUrl: z.string(), domains: z.array(z.string()).min(1) });
/** `baseFlist` / `vmFlist`: publish `tf/base` (busybox container, rebuilt each start) / `tf/vm` (kernel-mode VM, kept while its version matches). */
export const hubServiceSchema = z.object({ port: z.number().int().min(0), dir: z.string(), baseFlist: z.boolean().default(true), vmFlist: z.boolean().default(true) });

export const dnsServiceSchema = z.object({ port: z.number().int().min(0), recordsFile: z.string() });
export type DnsServiceOptions = z.infer<typeof dnsServiceSchema>;

/** The grid proxy: its twin's secret (a funded account of the grid), how often it reads the chain and the nodes. */
export const gridProxyServiceSchema = z.object({
  port: z.number().int().min(0),
  chainUrl: z.string(),
  relayUrl: z.string(),
  secret: z.string(),
  pollMs: z.number().int().positive().default(2000),
});
export type GridProxyServiceOptions = z.input<typeof gridProxyServiceSchema>;

export type RelayServiceOptions = z.infer<typeof relayServiceSchema>;
export type HubServiceOptions = z.input<typeof hubServiceSchema>;

type Closer = () => Promise<void>;

async function runRelay(opts: RelayServiceOptions, log: Logger): Promise<{ ready: Record<string, unknown>; close: Closer }> {
  const chain = await createChainClient({ urls: [opts.chainUrl], log });
  const directory: TwinDirectory = createCachedTwinDirectory(
    {
      async getTwin(id) {
        const t = await chain.findTwin(id);
        if (!t) return undefined;
        return { id: t.id, publicKey: t.publicKey, relay: t.relay ?? undefined, pk: t.pk ?? undefined };
      },
    },
    { ttlMs: 5_000 },
  );
  const relay = await createRelay({ port: opts.port, host: '127.0.0.1', directory, domain: opts.domains, log });
  return {
    ready: { url: relay.url, port: relay.port },
    close: async () => {
      await relay.close();
      await chain.close();
    },
  };
}

/**
 * Publishes `tf/<name>` from a rootfs built by `build`. With a `version`, a flist the hub already has from a build
 * of that version is kept (the hub dir survives `down`, so later starts skip the build; the version is written
 * beside it as `tf/.<name>.version`); without one it is rebuilt on every start. A failed build is logged with its
 * reason and leaves the previous flist, if any, in place.
 */
async function publishFlist(hub: Hub, hubDir: string, name: string, build: (dest: string) => Promise<string>, opts: { log: Logger; why: string; version?: string }): Promise<string | undefined> {
  const stamp = path.join(hubDir, 'tf', `.${name}.version`);
  const have = (await hub.list('tf')).some((e) => e.name === `${name}.flist`);
  if (have && opts.version !== undefined && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === opts.version) return hub.flistUrl('tf', name);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tfg-${name}-`));
  try {
    const url = await hub.publishDir('tf', name, await build(path.join(tmp, 'rootfs')));
    if (opts.version !== undefined) fs.writeFileSync(stamp, `${opts.version}\n`);
    return url;
  } catch (err) {
    opts.log.warn(`${name} flist not built (${opts.why})`, { error: errorText(err) });
    return undefined;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The flist hub service: serves `opts.dir`, publishing `tf/base`, `tf/vm`, `tf/tls-server` and `tf/k3s-standin` first (exported for its test). */
export async function runHub(opts: z.infer<typeof hubServiceSchema>, log: Logger): Promise<{ ready: Record<string, unknown>; close: Closer }> {
  const hub = await createHub({ dir: opts.dir, port: opts.port, log });
  const [base, vm, tlsServer] = await Promise.all([
    // base and tls-server: a second or two to build, rebuilt each start so changes to their builders reach the hub
    opts.baseFlist ? publishFlist(hub, opts.dir, 'base', (dest) => buildBaseRootfs(dest), { log, why: 'examples need it' }) : undefined,
    opts.vmFlist ? publishFlist(hub, opts.dir, VM_FLIST.name, (dest) => buildVmKernelRootfs(dest, { log }), { log, why: 'examples/zmachine-vm needs it', version: VM_FLIST.version }) : undefined,
    opts.baseFlist ? publishFlist(hub, opts.dir, TLS_SERVER_FLIST.name, (dest) => buildTlsServerRootfs(dest), { log, why: 'examples/*-proxy-passthrough need it' }) : undefined,
    // Beside the base flist (same origin), so a program finds it from its `flist`; nothing in the state names it.
    opts.baseFlist ? publishFlist(hub, opts.dir, K3S_STANDIN_FLIST.name, (dest) => buildK3sStandinRootfs(dest), { log, why: 'examples/kubernetes needs it' }) : undefined,
  ]);
  return { ready: { url: hub.url, port: hub.port, baseFlist: base, vmFlist: vm, tlsServerFlist: tlsServer }, close: () => hub.close() };
}

/**
 * The grid DNS, serving the records in `recordsFile` (gateway domains from the grid, FQDNs added with
 * `setGridDnsHost`). The file is re-read when it changes, so records are added without a restart.
 */
async function runDns(opts: DnsServiceOptions, log: Logger): Promise<{ ready: Record<string, unknown>; close: Closer }> {
  const dns = await startGridDns({ log }, { host: '127.0.0.1', port: opts.port });
  let applied: DnsRecords = { domains: {}, hosts: {} };
  const load = () => {
    let next: DnsRecords;
    try {
      next = dnsRecordsSchema.parse(JSON.parse(fs.readFileSync(opts.recordsFile, 'utf8')));
    } catch (err) {
      log.warn('dns records unreadable; keeping the previous ones', { file: opts.recordsFile, error: errorText(err) });
      return;
    }
    for (const d of Object.keys(applied.domains)) if (!(d in next.domains)) dns.removeDomain(d);
    for (const h of Object.keys(applied.hosts)) if (!(h in next.hosts)) dns.removeHost(h);
    for (const [d, ips] of Object.entries(next.domains)) dns.setDomain(d, ips);
    for (const [h, ips] of Object.entries(next.hosts)) dns.setHost(h, ips);
    applied = next;
  };
  load();
  fs.watchFile(opts.recordsFile, { interval: 200 }, load);
  return {
    ready: { address: dns.address, port: dns.port },
    close: async () => {
      fs.unwatchFile(opts.recordsFile);
      await dns.close();
    },
  };
}

/** The grid proxy (local/gridproxy): ThreeFold's REST API over the chain and the nodes' reports. */
async function runGridProxy(opts: z.infer<typeof gridProxyServiceSchema>, log: Logger): Promise<{ ready: Record<string, unknown>; close: Closer }> {
  const proxy = await startGridProxy({ chainUrl: opts.chainUrl, relayUrls: [opts.relayUrl], secret: opts.secret, port: opts.port, pollMs: opts.pollMs, log });
  // `up` starts the proxy while the nodes start, then asks for a fresh read once they serve (up-steps.ts
  // `proxySeesNodes`) rather than waiting for the next poll. A read under way may predate the nodes: one more.
  process.on('SIGUSR1', () => void proxy.indexer.refresh().then(() => proxy.indexer.refresh()));
  return { ready: { url: proxy.url, port: proxy.port, twinId: proxy.twinId }, close: () => proxy.close() };
}

export async function main(argv: string[]): Promise<void> {
  const [service, json] = argv;
  const log = createLineLogger((l) => process.stdout.write(l + '\n'), { fields: { service } });
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? '');
  } catch {
    throw new InputError(`service-main ${service}: options must be JSON`);
  }
  let started: { ready: Record<string, unknown>; close: Closer };
  if (service === 'relay') started = await runRelay(relayServiceSchema.parse(raw), log);
  else if (service === 'hub') started = await runHub(hubServiceSchema.parse(raw), log);
  else if (service === 'dns') started = await runDns(dnsServiceSchema.parse(raw), log);
  else if (service === 'gridproxy') started = await runGridProxy(gridProxyServiceSchema.parse(raw), log);
  else throw new InputError(`service-main: unknown service "${service}"; use relay, hub, dns or gridproxy`);
  process.stdout.write(READY_PREFIX + JSON.stringify(started.ready) + '\n');
  const stop = () => {
    log.info('stopping');
    started.close().then(
      () => process.exit(0),
      (err) => {
        log.error('close failed', { error: errorText(err) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`service failed: ${errorText(err)}\n`);
    process.exit(1);
  });
}
