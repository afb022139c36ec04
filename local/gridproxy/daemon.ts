/**
 * A grid proxy on a chain and relay: its own twin (an RMB peer, to hear the nodes' reports and relay
 * `/nodes/{id}/statistics`), the indexer, and the HTTP server. The local grid runs it as a daemon
 * (`service-main gridproxy`); tests start it in-process on their grid.
 *
 *   const proxy = await startGridProxy({ chainUrl, relayUrls: [relayUrl], secret: mnemonic, port: 0 });
 *   proxy.url // http://127.0.0.1:<port>
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { cryptoReady, identityFromSecret, type KeyType } from '../../protocol/common/identity';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { createChainClient } from '../../protocol/chain';
import { createRmbPeer } from '../../protocol/rmb/peer';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { startIndexer, type Indexer, type IndexerOptions } from './indexer';
import { startGridProxyServer } from './server';

export interface GridProxyOptions extends IndexerOptions {
  chainUrl: string;
  relayUrls: string[];
  /** The proxy twin's mnemonic or hex seed (a funded account: its twin is created if missing). */
  secret: string;
  keyType?: KeyType;
  /** 0 (default) picks a free port. */
  port?: number;
  log?: Logger;
}

export interface GridProxy {
  url: string;
  port: number;
  twinId: number;
  indexer: Indexer;
  close(): Promise<void>;
}

export async function startGridProxy(opts: GridProxyOptions): Promise<GridProxy> {
  const log = opts.log ?? silentLogger;
  await cryptoReady();
  const identity = identityFromSecret(opts.secret, opts.keyType ?? 'sr25519', 'gridproxy secret');
  const chain = await createChainClient({ urls: [opts.chainUrl], signer: identity, log });
  const closers: (() => Promise<void> | void)[] = [() => chain.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch((err) => log.warn('grid proxy close', { error: errorText(err) }));
  };
  try {
    const relayHost = new URL(opts.relayUrls[0]).hostname;
    const twinId = (await chain.ensureTwin({ relay: relayHost })).id;
    const peer = createRmbPeer({ identity, twinId, relayUrls: opts.relayUrls, directory: createChainTwinDirectory(chain), timeoutMs: opts.callTimeoutMs ?? 3000, log });
    closers.push(() => peer.close());
    await peer.ready(10_000);
    await chain.ensureTwin({ relay: relayHost, pk: peer.e2ePublicKey });
    const indexer = await startIndexer({ chain, log, call: async (twin, command, timeoutMs) => JSON.parse(await peer.callRaw(twin, command, undefined, { timeoutMs })) as unknown }, opts);
    closers.push(() => indexer.close());
    const server = await startGridProxyServer(indexer, { port: opts.port ?? 0 });
    closers.push(() => server.close());
    log.info('grid proxy serving', { url: server.url, twin: twinId });
    return { url: server.url, port: server.port, twinId, indexer, close };
  } catch (err) {
    await close();
    throw err;
  }
}
