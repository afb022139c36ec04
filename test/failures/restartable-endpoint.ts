/**
 * A TCP endpoint in front of a service (the chain's WebSocket) that can be restarted the way the service's own
 * process restarts: every open connection is reset, the port refuses connections for a while, then the same port
 * accepts again. Clients see exactly what they would see from a restarted chain node (their reconnect logic runs),
 * while the shared chain behind it keeps running for the other test files.
 * @module
 */
import * as net from 'net';

export interface RestartableEndpoint {
  /** `ws://127.0.0.1:<port>` (the scheme of the target URL). */
  url: string;
  /** Resets every connection, refuses for `downMs`, then listens on the same port again. */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableEndpoint(targetUrl: string): Promise<RestartableEndpoint> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  const sockets = new Set<net.Socket>();
  const serve = (): net.Server =>
    net.createServer((client) => {
      const upstream = net.connect(targetPort, target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  const listen = (s: net.Server, port: number) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  const stop = (s: net.Server) =>
    new Promise<void>((resolve) => {
      for (const k of sockets) k.resetAndDestroy();
      sockets.clear();
      s.close(() => resolve());
    });
  let server = serve();
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    async restart(downMs) {
      await stop(server);
      await new Promise((r) => setTimeout(r, downMs));
      server = serve();
      await listen(server, port);
    },
    close: () => stop(server),
  };
}
