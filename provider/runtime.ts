/**
 * The provider's per-process runtime (pulumi-notes.md §2.2 rule 2): one grid connection, one coordinator, one
 * private-IP allocator and one WireGuard-port allocator per (network, account), shared by every dynamic provider
 * shim of the process through Node's module cache. Resources without an `account` input share the stack config's;
 * each account a resource names (provider/account.ts) gets its own twin, connection and deployment coalescing.
 * The composition root is the grid factory: by default the real connection (`provider/grid-connection.ts`);
 * `setGridFactory` (or the `TFGRID_GRID_FACTORY` module path, for test harnesses that drive the plugin process) substitutes another.
 * @module
 */
import { systemClock } from '../protocol/common/clock';
import { silentLogger, silentProgress } from '../protocol/common/log';
import { accountConfig, connectionKey, type AccountInput } from './account';
import { readConfig, type ProviderConfig } from './config';
import { createCoordinator, type Coordinator } from './deployment-coordinator';
import type { CoordinatorDeps } from './deps';
import { createIpAllocator, type IpAllocator } from './ip-allocator';
import { noticeProgress } from './notices';

export interface GridConnection {
  deps: CoordinatorDeps;
  close(): Promise<void> | void;
}

export type GridFactory = (config: ProviderConfig) => Promise<GridConnection>;

export interface ProviderRuntime {
  config: ProviderConfig;
  deps: CoordinatorDeps;
  coordinator: Coordinator;
  ips: IpAllocator;
}

let configGetters: ((key: string) => string | undefined)[] = [];
let factory: GridFactory | undefined;
/** Runtimes and their connections by `connectionKey` (network, endpoints, account hash). */
const runtimes = new Map<string, Promise<ProviderRuntime>>();
const connections = new Map<string, GridConnection>();

/** Records stack config seen by a shim's `configure()` (each shim is configured once per process); once per source. */
export function addConfigSource(get: (key: string) => string | undefined): void {
  if (!configGetters.includes(get)) configGetters.push(get);
}

/** The config from all sources seen so far, then the environment. */
export function currentConfig(): ProviderConfig {
  const sources = configGetters;
  return readConfig((k) => {
    for (const g of sources) {
      const v = g(k);
      if (v !== undefined) return v;
    }
    return undefined;
  });
}

export function setGridFactory(f: GridFactory | undefined): void {
  factory = f;
}

function defaultFactory(): GridFactory {
  const path = process.env.TFGRID_GRID_FACTORY;
  if (path) {
    const mod = require(path) as { createGrid: GridFactory };
    return mod.createGrid;
  }
  const mod = require('./grid-connection') as { createGridConnection: GridFactory };
  return mod.createGridConnection;
}

/**
 * The runtime of `account` (default: the stack config's), built on first use (lazily, so a preview that only checks
 * inputs never connects); one per (network, account).
 */
export function getRuntime(account?: AccountInput): Promise<ProviderRuntime> {
  const config = accountConfig(currentConfig(), account);
  const key = connectionKey(config);
  let runtime = runtimes.get(key);
  if (runtime) return runtime;
  runtime = (async () => {
    const connection = await (factory ?? defaultFactory())(config);
    connections.set(key, connection);
    // Waits are shown to the person running pulumi (throttled lines; provider/notices.ts says where they go).
    const deps = { ...connection.deps, progress: noticeProgress(connection.deps.progress) };
    return {
      config,
      deps,
      coordinator: createCoordinator(deps, { coalesceMs: config.coalesceMs, deployTimeoutMs: config.deployTimeout * 1000 }),
      ips: createIpAllocator(),
    };
  })();
  runtimes.set(key, runtime);
  runtime.catch(() => runtimes.delete(key));
  return runtime;
}

/** Closes every connection and forgets the runtimes (tests; the plugin process just exits). */
export async function resetRuntime(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  configGetters = [];
  for (const r of all) {
    try {
      (await r).coordinator.close();
    } catch {
      // the runtime never came up; nothing to close
    }
  }
  const conns = [...connections.values()];
  connections.clear();
  for (const c of conns) await c.close();
}

export const defaultDepsParts = { clock: systemClock, log: silentLogger, progress: silentProgress, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
