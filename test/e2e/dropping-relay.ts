/**
 * A relay in front of the grid's relay that passes every frame both ways except the requests whose envelope
 * names one command: the client sees nodes that answer everything but that command, as when a node goes down
 * between two calls of a run. An RMB envelope carries its request's command in clear (only the payload may be
 * encrypted), so the frame's bytes name it. The login (the JWT in the URL's query) goes through as it came.
 * @module
 */
import type { AddressInfo } from 'net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';

export interface DroppingRelay {
  url: string;
  /** Requests dropped so far. */
  dropped(): number;
  close(): Promise<void>;
}

const bytesOf = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

export async function startDroppingRelay(upstream: string, command: string): Promise<DroppingRelay> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const needle = Buffer.from(command);
  let dropped = 0;
  const sockets = new Set<WebSocket>();
  server.on('connection', (client, req) => {
    const query = (req.url ?? '').replace(/^\/?/, '');
    const relay = new WebSocket(`${upstream.replace(/\/?\?*$/, '')}/${query}`, { perMessageDeflate: false });
    sockets.add(client).add(relay);
    const pending: Buffer[] = [];
    relay.on('open', () => {
      for (const b of pending.splice(0)) relay.send(b);
    });
    client.on('message', (d) => {
      const b = bytesOf(d);
      if (b.includes(needle)) {
        dropped++;
        return;
      }
      if (relay.readyState === WebSocket.OPEN) relay.send(b);
      else pending.push(b);
    });
    relay.on('message', (d) => client.readyState === WebSocket.OPEN && client.send(bytesOf(d)));
    const closeBoth = () => {
      client.terminate();
      relay.terminate();
    };
    client.on('close', closeBoth);
    relay.on('close', closeBoth);
    client.on('error', closeBoth);
    relay.on('error', closeBoth);
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        server.close(() => resolve());
      }),
  };
}
