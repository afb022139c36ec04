/**
 * One node runtime of the local grid as a detached daemon (`node-main.ts`), with its config file written
 * from the grid state (node/config.ts schema). Ready when it prints `node ready:` (it serves RMB then, and has
 * provisioned again the deployments in its data dir: `NodeRuntime.ready`).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import type { NodeConfigInput } from '../../node/config';
import { parseNodeConfig } from '../../node/config';
import { logLine, waitUntil } from './readiness';
import type { NodeState } from './state';
import { nodeEntry, spawnDaemon, type ProcessRecord } from './supervisor';
import { DEFAULT_NODE_RESOURCES } from './bootstrap';
import { keepPreviousLog } from './services';

/** How often local grid nodes re-check name contracts (node config `gateway.nameContractCheckSeconds`). */
export const LOCAL_NAME_CONTRACT_CHECK_SECONDS = 2;

export interface NodeWiring {
  backend: 'sim' | 'linux';
  chainUrl: string;
  relayUrl: string;
  farmerTwinId?: number;
  /** The node's address on the grid internet (CIDR): its public config. */
  publicAddress: string;
  /** Name prefix of the node's Linux backends (≤ 6 characters). */
  prefix: string;
  zdbPort: number;
  /** `host:port` of the grid DNS, which the gateway checks FQDNs against. */
  dns?: string;
  /** The grid CA's PEM files (one CA for every gateway of the grid). */
  ca?: { certFile: string; keyFile: string };
}

/** The node's config (validated by the node's own schema before it is written). */
export function nodeConfigFor(n: NodeState, w: NodeWiring): NodeConfigInput {
  const cfg: NodeConfigInput = {
    dataDir: n.dataDir,
    backend: w.backend,
    identity: { seed: n.seed, keyType: 'ed25519' },
    chain: { urls: [w.chainUrl] },
    relay: { urls: [w.relayUrl] },
    node: { id: n.nodeId, farmId: n.farmId, ...(w.farmerTwinId ? { farmerTwinId: w.farmerTwinId } : {}) },
    register: false,
    // The same totals the chain registered (local/grid/bootstrap.ts).
    resources: {
      cru: Number(DEFAULT_NODE_RESOURCES.cru),
      mru: DEFAULT_NODE_RESOURCES.mru.toString(),
      sru: DEFAULT_NODE_RESOURCES.sru.toString(),
      hru: DEFAULT_NODE_RESOURCES.hru.toString(),
    },
    publicConfig: { ipv4: w.publicAddress, gw4: '198.18.0.1', domain: n.domain },
    zdb: { port: w.zdbPort, addresses: ['127.0.0.1'] },
    // A name contract cancelled on the local chain takes its proxy down within seconds (ZOS: within the hour).
    gateway: { nameContractCheckSeconds: LOCAL_NAME_CONTRACT_CHECK_SECONDS },
    logLevel: 'info',
    // Kept in the grid state, so a node restarted by `up` or `restart` comes back light too.
    ...(n.light ? { light: true } : {}),
  };
  if (w.backend === 'linux') {
    cfg.linux = { prefix: w.prefix, hostNetns: n.netns, uplink: n.uplink };
    // The daemon stays in the root namespace (chain, relay, hub and DNS on 127.0.0.1); the gateway's public
    // listeners (80/443) are bound on the node's address inside its host namespace and relayed to the proxy.
    cfg.gateway = { ...cfg.gateway, listenNetns: n.netns, ...(w.dns ? { dns: w.dns } : {}), ...(w.ca ? { ca: w.ca } : {}), runDir: `/run/tfgrid-${w.prefix}` };
    // Several nodes share the root namespace: the qsfs metrics listener takes any free port.
    cfg.qsfs = { metricsPort: 0 };
  }
  return cfg;
}

export function writeNodeConfig(n: NodeState, w: NodeWiring): void {
  const cfg = nodeConfigFor(n, w);
  parseNodeConfig(cfg, n.configFile);
  fs.mkdirSync(path.dirname(n.configFile), { recursive: true });
  fs.mkdirSync(n.dataDir, { recursive: true });
  // Whole or not at all: the node process may be waiting for this file already (readiness.ts `fileAppears`).
  const tmp = `${n.configFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, n.configFile);
}

/** Starts the node; `ready` resolves once it serves RMB (rejects with its log when it dies first). */
export async function startNodeDaemon(n: NodeState, opts: { logFile: string; timeoutMs?: number }): Promise<{ process: ProcessRecord; ready: Promise<number> }> {
  keepPreviousLog(opts.logFile);
  const entry = nodeEntry('local/grid/node-main.ts');
  const rec = spawnDaemon({ name: `node${n.index}`, command: entry.command, args: [...entry.args, n.configFile], logFile: opts.logFile });
  const ready = waitUntil(logLine(opts.logFile, /^node ready: /m), {
    what: `node${n.index}: waiting until it serves RMB`,
    timeoutMs: opts.timeoutMs ?? 90_000,
    intervalMs: 100,
    process: rec,
  });
  return { process: rec, ready };
}
