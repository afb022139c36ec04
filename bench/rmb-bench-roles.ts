/**
 * The processes of `rmb.bench.ts` besides the calling one: the relay, the serving node peer, a bare `ws` echo
 * server and a bare `ws` forwarder (the echo baseline's stand-in for the relay hop). Each is started by the
 * bench with `fork(<this file>, [role])`, reports its URL over IPC and exits when the bench disconnects, so
 * `--cpu-prof` writes one profile per process.
 * @module
 */
import WebSocket, { WebSocketServer } from 'ws';
import { cryptoReady, identityFromSecret, type Identity } from '../protocol/common/identity';
import { e2ePublicKey } from '../protocol/rmb/e2e';
import { createRmbPeer } from '../protocol/rmb/peer';
import { createRelay } from '../protocol/rmb/relay';
import { createStaticTwinDirectory, type StaticTwinDirectory } from '../protocol/rmb/twin-directory';

export const BENCH_DOMAIN = 'relay.local';

/** Twin 1 signs sr25519 (a provider's default), twins 2 (the node) and 3 ed25519. */
export async function benchTwins(): Promise<{ ids: Identity[]; directory: StaticTwinDirectory }> {
  await cryptoReady();
  const directory = createStaticTwinDirectory();
  const ids = [
    identityFromSecret('bottom drive obey lake curtain smoke basket hold race lonely fit walk', 'sr25519'),
    identityFromSecret('legal winner thank year wave sausage worth useful legal winner thank yellow', 'ed25519'),
    identityFromSecret('letter advice cage absurd amount doctor acoustic avoid letter advice cage above', 'ed25519'),
  ];
  ids.forEach((id, i) => directory.set({ id: i + 1, publicKey: id.publicKey, relay: BENCH_DOMAIN, pk: e2ePublicKey(id.seed) }));
  return { ids, directory };
}

/** Starts the serving peer (twin 2, no session, as a node) with a `bench.echo` handler. */
export async function startNodePeer(relayUrl: string): Promise<{ close(): Promise<void> }> {
  const { ids, directory } = await benchTwins();
  const node = createRmbPeer({ identity: ids[1], twinId: 2, relayUrls: [relayUrl], directory, session: '' });
  node.handle('bench.echo', (p) => p);
  await node.ready();
  return node;
}

/** A bare ws server echoing every binary frame. */
export function startEcho(): Promise<{ url: string; close(): void }> {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () => {
      const addr = wss.address() as { port: number };
      resolve({ url: `ws://127.0.0.1:${addr.port}`, close: () => wss.close() });
    });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
  });
}

/** A bare ws hop: each client connection gets its own upstream connection to `target`, frames go both ways. */
export function startForwarder(target: string): Promise<{ url: string; close(): void }> {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () => {
      const addr = wss.address() as { port: number };
      resolve({ url: `ws://127.0.0.1:${addr.port}`, close: () => wss.close() });
    });
    wss.on('connection', (client) => {
      const up = new WebSocket(target, { perMessageDeflate: false });
      const early: Buffer[] = [];
      up.on('open', () => early.splice(0).forEach((b) => up.send(b)));
      up.on('message', (data) => client.send(data as Buffer));
      client.on('message', (data) => (up.readyState === WebSocket.OPEN ? up.send(data as Buffer) : early.push(data as Buffer)));
      client.on('close', () => up.close());
    });
  });
}

async function runRole(role: string, arg: string | undefined): Promise<{ url?: string; close(): unknown }> {
  if (role === 'relay') {
    const { directory } = await benchTwins();
    return createRelay({ directory, domain: BENCH_DOMAIN });
  }
  if (role === 'node') return startNodePeer(arg ?? '');
  if (role === 'echo') return startEcho();
  if (role === 'forward') return startForwarder(arg ?? '');
  throw new Error(`unknown bench role ${role}`);
}

if (require.main === module) {
  const [role, arg] = process.argv.slice(2);
  runRole(role, arg)
    .then((r) => {
      process.send?.({ url: r.url ?? '' });
      process.on('message', (m) => {
        if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
      });
      process.on('disconnect', () => {
        Promise.resolve(r.close()).finally(() => process.exit(0));
      });
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
