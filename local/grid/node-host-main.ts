/**
 * Several sim nodes of the local grid in one Node.js process (issue 16):
 * `node-host-main <config.json> <node.log> [<config.json> <node.log> …]`. A process per sim node cost about
 * 200 MB resident and seconds of start-up CPU each (Node.js, the TypeScript loader, a polkadot API with its
 * decoded metadata), so 50 sim nodes needed 10 GB. Here every node keeps what makes it a node to the rest of
 * the grid (its own config, data dir, twin identity and signing key, RMB peer connection, API, engine and
 * log file, where it prints `node ready: …` as `node-main` does) and they share the process and one chain
 * connection (each node signs on it with its own key: `ChainClient.withSigner`). Linux nodes never come here:
 * each keeps a process of its own (node-main.ts). One node failing to start stops the host, so the grid's
 * `up` fails as it would with a process per node. Stops on SIGTERM, closing every node.
 * @module
 */
import * as fs from 'fs';
import { errorText } from '../../protocol/common/errors';
import { createLineLogger } from '../../protocol/common/log';
import { loadNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { createChainClient } from '../../protocol/chain';
import { simBackendsOn } from './node-main';
import { fileAppears } from './readiness';

export interface HostedNode {
  configFile: string;
  logFile: string;
}

/** `[config, log, config, log, …]` → the hosted nodes; an odd count is a usage error. */
export function parseHostArgs(argv: readonly string[]): HostedNode[] {
  if (argv.length === 0 || argv.length % 2 !== 0) throw new Error('usage: node-host-main <config.json> <node.log> [<config.json> <node.log> …]');
  const out: HostedNode[] = [];
  for (let i = 0; i < argv.length; i += 2) out.push({ configFile: argv[i], logFile: argv[i + 1] });
  return out;
}

/** A log file a node writes its lines to (appended, as a daemon's stdout would be). */
function lineSink(file: string): { write: (line: string) => void; close: () => Promise<void> } {
  const out = fs.createWriteStream(file, { flags: 'a' });
  return {
    write: (line) => void out.write(line + '\n'),
    close: () => new Promise((resolve) => out.end(() => resolve())),
  };
}

export async function main(hosted: HostedNode[]): Promise<void> {
  // `up` starts the process before the chain registers its nodes (issue 16); their configs follow.
  for (const h of hosted) await fileAppears(h.configFile);
  const nodes = hosted.map((h) => ({ ...h, config: loadNodeConfig(h.configFile), sink: lineSink(h.logFile) }));
  const notSim = nodes.find((n) => n.config.backend !== 'sim');
  if (notSim) throw new Error(`${notSim.configFile}: only sim nodes share a process (backend ${notSim.config.backend} runs in node-main)`);
  const hostLog = createLineLogger((line) => process.stderr.write(line + '\n'));
  const chain = await createChainClient({ urls: nodes[0].config.chain.urls, log: hostLog });
  const running: NodeRuntime[] = [];
  const closeAll = async () => {
    for (const r of running.splice(0)) await r.close().catch((err: unknown) => hostLog.warn('node close failed', { node: r.nodeId, err: errorText(err) }));
    await chain.close().catch(() => undefined);
    for (const n of nodes) await n.sink.close();
  };
  try {
    await Promise.all(
      nodes.map(async (n) => {
        const log = createLineLogger(n.sink.write, { level: n.config.logLevel });
        try {
          const node = await createNodeRuntime(n.config, { log, chain, backends: simBackendsOn(n.config, chain) });
          running.push(node);
          await node.ready();
          n.sink.write(`node ready: node ${node.nodeId} twin ${node.twinId}`);
        } catch (err) {
          n.sink.write(`node failed: ${errorText(err)}`);
          throw err;
        }
      }),
    );
  } catch (err) {
    await closeAll();
    throw err;
  }
  hostLog.info('node host ready', { nodes: running.map((r) => r.nodeId) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  hostLog.info('stopping nodes', { nodes: running.map((r) => r.nodeId) });
  await closeAll();
}

if (require.main === module) {
  let hosted: HostedNode[];
  try {
    hosted = parseHostArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${errorText(err)}\n`);
    process.exit(2);
  }
  main(hosted).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`node host failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
