/**
 * Peer resilience (rmb-tfchain.md §A4 keepalive): a silent relay connection is detected by the keepalive and
 * replaced; a dead relay among several is skipped; the relay's hold for offline sessions is bounded.
 */
import * as net from 'net';
import { createRmbPeer } from '../../protocol/rmb/peer';
import { createRelay } from '../../protocol/rmb/relay';
import { makeTwins, rawConnect, requestEnvelope, waitFor } from './rmb-harness';

/** A TCP forwarder whose open connections can go silent (bytes dropped both ways, sockets kept open). */
async function silentableProxy(targetPort: number): Promise<{ url: string; connections: () => number; silenceOpen(): void; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const silenced = new WeakSet<net.Socket>();
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => silenced.has(client) || upstream.write(d));
    upstream.on('data', (d) => silenced.has(client) || client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections: () => count,
    silenceOpen: () => sockets.forEach((s) => silenced.add(s)),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('rmb resilience', () => {
  it('replaces a relay connection that went silent (keepalive) and keeps serving calls', async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local' });
    const proxy = await silentableProxy(relay.port);
    const a = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [proxy.url], directory, keepaliveMs: 150, reconnect: { minMs: 20, maxMs: 100 } });
    const b = createRmbPeer({ identity: twins[1].identity, twinId: 2, relayUrls: [relay.url], directory, session: '' });
    try {
      b.handle('t.ok', () => 'ok');
      await Promise.all([a.ready(), b.ready()]);
      expect(await a.call(2, 't.ok')).toBe('ok');
      proxy.silenceOpen();
      const during = a.call(2, 't.ok', undefined, { timeoutMs: 10_000 });
      await waitFor(() => proxy.connections() >= 2, 8000); // the keepalive gave up on the silent socket
      expect(await during).toBe('ok'); // re-sent on the new connection
      expect(await a.call(2, 't.ok')).toBe('ok');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await proxy.close();
      await relay.close();
    }
  });

  it('works through the live relay when another of its relays is down', async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local' });
    const dead = await createRelay({ directory, domain: 'relay.local' });
    const deadUrl = dead.url;
    await dead.close();
    const a = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [deadUrl, relay.url], directory, reconnect: { minMs: 50, maxMs: 200 } });
    const b = createRmbPeer({ identity: twins[1].identity, twinId: 2, relayUrls: [relay.url], directory, session: '' });
    try {
      b.handle('t.ok', () => 'ok');
      await Promise.all([a.ready(), b.ready()]);
      expect(a.connected()).toBe(1);
      expect(await a.call(2, 't.ok')).toBe('ok');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await relay.close();
    }
  });

  it('holds at most maxPerSession envelopes for an offline session, dropping the oldest', async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local', hold: { maxPerSession: 2 } });
    const sender = await rawConnect(relay.url, twins[0].identity, 1, 's');
    try {
      const sent = [1, 2, 3].map((i) => requestEnvelope(1, 's', 2, `t.${i}`));
      for (const env of sent) sender.send(env, twins[0].identity);
      await waitFor(() => relay.stats().held === 2);
      const receiver = await rawConnect(relay.url, twins[1].identity, 2);
      try {
        const got = [await receiver.next(), await receiver.next()];
        expect(got.map((e) => e.request?.command)).toEqual(['t.2', 't.3']);
        expect(relay.stats().held).toBe(0);
      } finally {
        receiver.close();
      }
    } finally {
      sender.close();
      await relay.close();
    }
  });

  it('refuses envelopes over the per-twin rate limit and keeps the connection', async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local', limits: { messages: 3, windowMs: 60_000 } });
    const c = await rawConnect(relay.url, twins[0].identity, 1, 'l');
    try {
      const envs = [1, 2, 3, 4].map((i) => requestEnvelope(1, 'l', 2, `t.${i}`));
      for (const env of envs) c.send(env, twins[0].identity);
      const err = await c.next((e) => !!e.error);
      expect(err.uid).toBe(envs[3].uid);
      expect(err.error?.message).toBe('exceeded rate limits, dropping message');
      expect(relay.stats().held).toBe(3);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      c.close();
      await relay.close();
    }
  });

  it('keeps the call deadline when the twin lookup hangs', async () => {
    const { twins, directory } = await makeTwins(1, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local' });
    const hanging = { getTwin: (id: number) => (id === 1 ? directory.getTwin(id) : new Promise<undefined>(() => undefined)) };
    const a = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [relay.url], directory: hanging });
    try {
      await a.ready();
      await expect(a.call(9, 'zos.system.version', undefined, { timeoutMs: 300 })).rejects.toThrow('rmb zos.system.version to twin 9: twin lookup gave no answer within 0.3s');
    } finally {
      await a.close();
      await relay.close();
    }
  });

  it('drops a connection that went silent and holds its messages instead', async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    const relay = await createRelay({ directory, domain: 'relay.local', keepaliveMs: 100 });
    const proxy = await silentableProxy(relay.port);
    const b = await rawConnect(proxy.url, twins[1].identity, 2);
    const a = await rawConnect(relay.url, twins[0].identity, 1, 's');
    try {
      await waitFor(() => relay.stats().connections === 2);
      proxy.silenceOpen(); // b's pongs stop arriving
      await waitFor(() => relay.stats().connections === 1, 5000);
      a.send(requestEnvelope(1, 's', 2, 't.later'), twins[0].identity);
      await waitFor(() => relay.stats().held === 1);
    } finally {
      a.close();
      b.close();
      await proxy.close();
      await relay.close();
    }
  });
});
