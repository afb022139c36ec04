/**
 * Starting the grid's service daemons (relay, hub) through `service-main.ts` and reading their READY line.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import type { Progress } from '../../protocol/common/log';
import { waitUntil } from './readiness';
import { READY_PREFIX, type DnsServiceOptions, type GridProxyServiceOptions, type HubServiceOptions, type RelayServiceOptions } from './service-main';
import { nodeEntry, spawnDaemon, type ProcessRecord } from './supervisor';
import { dnsRecordsPath } from './dns-records';

/** The relay host name written into every twin's `relay` field. */
export const RELAY_DOMAIN = '127.0.0.1';

/**
 * Each service's options for a grid in `dir`: one place, so `up` and a restart of one daemon (local/grid/heal.ts)
 * start it the same way, on the port the nodes already dial.
 */
export function relayOptions(port: number, chainUrl: string): RelayServiceOptions {
  return { port, chainUrl, domains: [RELAY_DOMAIN, `127.0.0.1:${port}`, 'localhost'] };
}
export function hubOptions(dir: string, port: number): HubServiceOptions {
  return { port, dir: path.join(dir, 'hub'), baseFlist: true };
}
export function dnsOptions(dir: string, port: number): DnsServiceOptions {
  return { port, recordsFile: dnsRecordsPath(dir) };
}
/** The grid proxy reads the chain and asks the nodes over the relay, as its own twin (`secret`). */
export function gridProxyOptions(port: number, chainUrl: string, relayUrl: string, secret: string): GridProxyServiceOptions {
  return { port, chainUrl, relayUrl, secret };
}
/** `<dir>/logs/<name>.log`: chain, relay, hub, dns, gridproxy, node<i>, watchdog. */
export function daemonLogFile(dir: string, name: string): string {
  return path.join(dir, 'logs', `${name}.log`);
}

export interface StartedService<T> {
  info: T;
  process: ProcessRecord;
}

/** Moves a daemon's old log to `<log>.prev` (replacing an older one), so its new log starts empty. */
export function keepPreviousLog(logFile: string): void {
  try {
    fs.renameSync(logFile, `${logFile}.prev`);
  } catch {
    /* no old log */
  }
}

function readyLine(file: string): string | undefined {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .reverse()
      .find((l) => l.startsWith(READY_PREFIX));
  } catch {
    return undefined;
  }
}

async function startService<T>(
  service: 'relay' | 'hub' | 'dns' | 'gridproxy',
  options: unknown,
  schema: z.ZodType<T>,
  opts: { logFile: string; progress?: Progress; timeoutMs?: number },
): Promise<StartedService<T>> {
  // Start from an empty log so an old READY line is never taken for this run's (a restart keeps the old one
  // as `<log>.prev`: it says why the daemon died).
  keepPreviousLog(opts.logFile);
  const entry = nodeEntry('local/grid/service-main.ts');
  const rec = spawnDaemon({ name: service, command: entry.command, args: [...entry.args, service, JSON.stringify(options)], logFile: opts.logFile });
  await waitUntil(async () => readyLine(opts.logFile) !== undefined, {
    what: `${service}: waiting until it serves`,
    timeoutMs: opts.timeoutMs ?? 60_000,
    process: rec,
    progress: opts.progress,
  });
  const line = readyLine(opts.logFile) ?? '';
  return { info: schema.parse(JSON.parse(line.slice(READY_PREFIX.length))), process: rec };
}

const relayReady = z.object({ url: z.string(), port: z.number().int() });
const hubReady = z.object({
  url: z.string(),
  port: z.number().int(),
  baseFlist: z.string().optional(),
  vmFlist: z.string().optional(),
  tlsServerFlist: z.string().optional(),
});

export function startRelayDaemon(options: RelayServiceOptions, opts: { logFile: string; progress?: Progress }) {
  return startService('relay', options, relayReady, opts);
}

export function startHubDaemon(options: HubServiceOptions, opts: { logFile: string; progress?: Progress }) {
  return startService('hub', options, hubReady, { ...opts, timeoutMs: 120_000 });
}

const dnsReady = z.object({ address: z.string(), port: z.number().int() });

const gridProxyReady = z.object({ url: z.string(), port: z.number().int(), twinId: z.number().int() });

export function startGridProxyDaemon(options: GridProxyServiceOptions, opts: { logFile: string; progress?: Progress }) {
  return startService('gridproxy', options, gridProxyReady, opts);
}

export function startDnsDaemon(options: DnsServiceOptions, opts: { logFile: string; progress?: Progress }) {
  return startService('dns', options, dnsReady, opts);
}
