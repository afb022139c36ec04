/**
 * A local-grid node daemon: `node-main <config.json>`. Like `tfgrid node run` (node/main.ts), plus the piece
 * only the local grid can provide (node/runtime.ts `RuntimeOptions.backends`): with `backend: linux` it builds
 * the node's Linux backends inside the host namespace the grid made for it (config `linux.hostNetns`,
 * `linux.uplink`, `linux.prefix`; DESIGN.md §4). Prints `node ready: …` once it serves RMB, stops on SIGTERM.
 * @module
 */
import * as path from 'path';
import { errorText } from '../../protocol/common/errors';
import { createLineLogger, type Logger } from '../../protocol/common/log';
import { loadNodeConfig, type NodeConfig } from '../../node/config';
import { createNodeRuntime, createSimBackends, engineChainFrom } from '../../node/runtime';
import { createSimNetwork } from '../../node/backends/network/sim';
import type { Backends } from '../../node/engine/deps';
import { createLinuxBackends } from '../../node/backends/machine/linux-backends';
import { createZdbBackend } from '../../node/backends/zdb/real';
import { createSimGateway } from '../../node/backends/gateway/sim';
import { createQsfsDaemon } from '../../node/backends/qsfs/daemon';
import { createChainClient } from '../../protocol/chain';

/**
 * The Linux backends of one node. Gateways keep the state-only implementation (the reverse proxy in
 * node/backends/gateway runs in the node process, outside the host namespace, and cannot reach private
 * backends from there yet); the node logs which families are real.
 */
async function linuxBackends(config: NodeConfig, log: Logger): Promise<{ backends: Backends; close: () => Promise<void> }> {
  if (!config.linux) throw new Error('backend linux needs the `linux` section (prefix, hostNetns, uplink)');
  const linux = createLinuxBackends({ prefix: config.linux.prefix, dataDir: config.dataDir, hostNetns: config.linux.hostNetns, uplink: config.linux.uplink, log });
  const zdb = await createZdbBackend({ log }, { addresses: config.zdb.addresses, port: config.zdb.port, dataDir: path.join(config.dataDir, 'zdb'), capacity: config.resources.hru });
  const publicIPs = config.publicConfig ? [config.publicConfig.ipv4.split('/')[0]] : [];
  const chain = await createChainClient({ urls: config.chain.urls, log });
  const gateway = createSimGateway(
    {
      checkNameContract: async (name, twin) => {
        const id = await chain.getContractIdByName(name);
        const c = id === undefined ? undefined : await chain.getContract(id);
        if (!c) return { exists: false };
        return { exists: true, twinId: c.twinId, state: c.state === 'gracePeriod' ? 'GracePeriod' : c.state === 'deleted' ? 'Deleted' : 'Created' };
      },
      resolveHost: async () => publicIPs,
    },
    { node: { domain: config.publicConfig?.domain || undefined, publicIPs } },
  );
  // The real qsfs daemon: data erasure-coded into the zdb backends of the workload's config; metrics on a free port.
  const qsfs = await createQsfsDaemon({ log }, { rootDir: path.join(config.dataDir, 'qsfs'), metricsHost: '127.0.0.1', metricsPort: 0 });
  log.info('backends', { real: 'storage, network, machine, flist, zdb, qsfs', stateOnly: 'gateway' });
  return {
    backends: { storage: linux.storage, network: linux.network, machine: linux.machines, flist: linux.flists, zdb, gateway, qsfs },
    close: async () => {
      await chain.close();
    },
  };
}

/**
 * The sim backends as node/runtime builds them, except that the network has an uplink when the node has a
 * public config: on the local grid every node is on the grid internet, so public IPs are supported
 * (`createSimBackends` alone refuses them: "public ipv4 is requested, but not supported on this node").
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
  const extra = config.backend === 'linux' ? await linuxBackends(config, log) : await simBackends(config, log);
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
