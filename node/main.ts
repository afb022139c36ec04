/**
 * Runs one node in the foreground until SIGINT/SIGTERM: `tfgrid node run --config FILE` calls `runNode`.
 * Logs go to stderr, one line each; "node ready" is printed on stdout once the node serves RMB
 * and has provisioned again the deployments in its data dir (`NodeRuntime.ready`; the local grid and tests wait
 * for it). Facts: zos-protocol.md §3.8 (boot recovery on start).
 * @module
 */
import { createLineLogger } from '../protocol/common/log';
import { loadNodeConfig } from './config';
import { createNodeRuntime } from './runtime';

/** Starts the node from `configFile`; resolves after a signal stopped it cleanly. */
export async function runNode(configFile: string): Promise<void> {
  const config = loadNodeConfig(configFile);
  const log = createLineLogger((line) => process.stderr.write(line + '\n'), { level: config.logLevel });
  const node = await createNodeRuntime(config, { log });
  await node.ready();
  process.stdout.write(`node ready: node ${node.nodeId} twin ${node.twinId}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('stopping node');
  await node.close();
}
