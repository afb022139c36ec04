/**
 * A local-grid node daemon: `node-main <config.json>`. Like `tfgrid node run` (node/main.ts). With
 * `backend: linux` node/runtime builds every real backend itself (DESIGN.md §4): workloads live in the host
 * namespace the grid made for the node (`linux.hostNetns`, `linux.uplink`), and the gateway's public
 * listeners are bound on the node's address there (`gateway.listenNetns`), checking FQDNs against the grid
 * DNS (`gateway.dns`) and signing with the grid CA (`gateway.ca`). The daemon itself stays in the root
 * namespace, where chain, relay and hub listen on 127.0.0.1. With `backend: sim` the only local-grid piece is
 * the sim network's uplink below. Prints `node ready: …` once it serves RMB, stops on SIGTERM.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { createLineLogger, type Logger } from '../../protocol/common/log';
import { loadNodeConfig, type NodeConfig } from '../../node/config';
import { createNodeRuntime, createSimBackends, engineChainFrom } from '../../node/runtime';
import { createSimNetwork } from '../../node/backends/network/sim';
import type { Backends } from '../../node/engine/deps';
import { createChainClient } from '../../protocol/chain';

/**
 * The sim backends as node/runtime builds them, except that the network has an uplink when the node has a
 * public config: the grid registers a public config for every sim node too (its address on the planned
 * grid internet, which sim nodes only record), so public IPs are accepted rather than refused with
 * "public ipv4 is requested, but not supported on this node" as `createSimBackends` alone would.
 */
async function simBackends(config: NodeConfig, log: Logger): Promise<{ backends: Backends; close: () => Promise<void> }> {
  if (config.node.id === undefined) throw new Error('the local grid writes node.id into every node config');
  const chain = await createChainClient({ urls: config.chain.urls, log });
  const backends = createSimBackends(config, engineChainFrom(chain, config.node.id));
  if (config.publicConfig) backends.network = createSimNetwork({ prefix: 'sim', uplink: 'uplink' });
  return { backends, close: () => chain.close() };
}

export async function main(configFile: string): Promise<void> {
  const config = loadNodeConfig(configFile);
  const log = createLineLogger((line) => process.stderr.write(line + '\n'), { level: config.logLevel });
  // linux: node/runtime builds the real backends and services from the config the grid wrote.
  const extra = config.backend === 'linux' ? { backends: undefined, close: async () => {} } : await simBackends(config, log);
  const node = await createNodeRuntime(config, { log, backends: extra.backends });
  await node.peer.ready(30_000).catch((err: Error) => log.warn('relay not reachable yet', { err: err.message }));
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
