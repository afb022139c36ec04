/**
 * A local-grid node daemon: `node-main <config.json>`. Like `tfgrid node run` (node/main.ts). With
 * `backend: linux` it builds the real backends (DESIGN.md §4, `linuxBackends` below): workloads live in the host
 * namespace the grid made for the node (`linux.hostNetns`, `linux.uplink`), and the gateway's public
 * listeners are bound on the node's address there (`gateway.listenNetns`), checking FQDNs against the grid
 * DNS (`gateway.dns`) and signing with the grid CA (`gateway.ca`). The 0-db server is served on the node's
 * address there, port 9900 (what zdb results list), and the qsfs daemon reaches its zdb backends from there,
 * as a ZOS node does over its own network. The daemon itself stays in the root namespace, where chain, relay
 * and hub listen on 127.0.0.1. With `backend: sim` the only local-grid piece is the sim network's uplink
 * below. Prints `node ready: …` once it serves RMB and has provisioned again the deployments in its data dir
 * (`NodeRuntime.ready`: a restarted gateway serves its names again by then), stops on SIGTERM. On SIGUSR2
 * (linux) every qsfs mount drops its local copy and block cache and is rebuilt from its zdb backends (the
 * operator's "drop caches").
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { createLineLogger, type Logger } from '../../protocol/common/log';
import { loadNodeConfig, type NodeConfig } from '../../node/config';
import { createLinuxNodeBackends, createNodeRuntime, createSimBackends, engineChainFrom, type NodeServices } from '../../node/runtime';
import { createSimNetwork } from '../../node/backends/network/sim';
import type { Backends } from '../../node/engine/deps';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { exposeZdbInNetns } from '../../node/backends/zdb/netns-listener';
import { ZDB_DEFAULT_PORT } from '../../node/backends/zdb/zdb';
import { createNetnsBridge } from '../../node/backends/gateway/netns-bridge';
import type { QsfsDaemon } from '../../node/backends/qsfs/daemon';
import type { ZdbDialer } from '../../node/backends/zdb/client';
import { fileAppears } from './readiness';

/** The bridge's key for the node's own host namespace (no twin has id 0). */
const HOST_NS_KEY = { twinId: 0, network: 'node-host' };

/**
 * The Linux backends of one node (node/runtime `createLinuxNodeBackends`: workloads in the node's host
 * namespace, the real 0-db, gateway and qsfs services) with these local-grid differences: state lives directly
 * under `dataDir` (where `tfgrid local down` runs the backends' cleanup), the 0-db server (on 127.0.0.1 here)
 * is also served on the node's address inside its host namespace on port 9900 and its results list that
 * address, and the qsfs daemon dials its zdb backends inside the host namespace (`LinuxNodeOptions.dial`,
 * through a namespace bridge), so that it reaches the zdbs of other nodes at the addresses their results list.
 */
async function linuxBackends(config: NodeConfig, log: Logger): Promise<{ backends: Backends; chain: ChainClient; close: () => Promise<void>; qsfs: QsfsDaemon }> {
  if (!config.linux) throw new Error('backend linux needs the `linux` section (prefix, hostNetns, uplink)');
  if (config.node.id === undefined) throw new Error('the local grid writes node.id into every node config');
  const hostNetns = config.linux.hostNetns;
  const address = config.publicConfig?.ipv4.split('/')[0];
  const bridge = createNetnsBridge({ log }, { runDir: config.gateway.runDir ?? `/run/tfgrid-${config.linux.prefix}`, netnsFor: async () => hostNetns });
  const dial: ZdbDialer | undefined = hostNetns
    ? async (host, port) => {
        await bridge.checkNetwork(HOST_NS_KEY.twinId, HOST_NS_KEY.network);
        return bridge.dial({ host, port, ...HOST_NS_KEY });
      }
    : undefined;
  const chain = await createChainClient({ urls: config.chain.urls, log });
  let linux: (Backends & NodeServices) | undefined;
  try {
    linux = await createLinuxNodeBackends(config, engineChainFrom(chain, config.node.id), log, { dir: config.dataDir, dial });
    const zdb = address && hostNetns ? await exposeZdbInNetns({ log }, linux.zdb, { netns: hostNetns, host: address, port: ZDB_DEFAULT_PORT }) : linux.zdb;
    log.info('backends', { real: 'storage, network, machine, flist, zdb, gateway, qsfs', zdb: zdb.endpoint() });
    return {
      backends: { ...linux, zdb },
      chain,
      close: async () => {
        await bridge.close();
        await chain.close();
      },
      qsfs: linux.qsfs,
    };
  } catch (err) {
    for (const b of linux ? [linux.gateway, linux.qsfs, linux.zdb] : []) await b.close().catch(() => undefined);
    await bridge.close();
    await chain.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The sim backends as node/runtime builds them, except that the network has an uplink when the node has a
 * public config: the grid registers a public config for every sim node too (its address on the planned
 * grid internet, which sim nodes only record), so public IPs are accepted rather than refused with
 * "public ipv4 is requested, but not supported on this node" as `createSimBackends` alone would. They read the
 * chain through `chain`, the connection the node runtime signs on too (one connection per process: each
 * polkadot API instance holds its own decoded metadata, tens of MB).
 */
export function simBackendsOn(config: NodeConfig, chain: ChainClient): Backends {
  if (config.node.id === undefined) throw new Error('the local grid writes node.id into every node config');
  const backends = createSimBackends(config, engineChainFrom(chain, config.node.id));
  if (config.publicConfig) backends.network = createSimNetwork({ prefix: 'sim', uplink: 'uplink' });
  return backends;
}

async function simBackends(config: NodeConfig, log: Logger): Promise<{ backends: Backends; chain: ChainClient; close: () => Promise<void> }> {
  const chain = await createChainClient({ urls: config.chain.urls, log });
  try {
    return { backends: simBackendsOn(config, chain), chain, close: () => chain.close() };
  } catch (err) {
    await chain.close().catch(() => undefined);
    throw err;
  }
}

export async function main(configFile: string): Promise<void> {
  // `up` starts the process before the chain registers the node (issue 16); the config follows.
  await fileAppears(configFile);
  const config = loadNodeConfig(configFile);
  const log = createLineLogger((line) => process.stderr.write(line + '\n'), { level: config.logLevel });
  // One chain connection per process, for the backends and the runtime alike (a polkadot API decodes the
  // metadata once per connection: CPU at start-up, issue 16, and tens of MB).
  const extra = config.backend === 'linux' ? await linuxBackends(config, log) : { ...(await simBackends(config, log)), qsfs: undefined };
  const node = await createNodeRuntime(config, { log, backends: extra.backends, chain: extra.chain });
  const qsfs = extra.qsfs;
  if (qsfs) process.on('SIGUSR2', () => void qsfs.dropCaches());
  await node.ready();
  process.stdout.write(`node ready: node ${node.nodeId} twin ${node.twinId}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('stopping node');
  await node.close();
  await extra.close();
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node-main <config.json>\n');
    process.exit(2);
  }
  main(file).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`node failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
