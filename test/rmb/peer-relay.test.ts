/**
 * Two peers through our relay on loopback (rmb-tfchain.md §A): round trips, errors, 1,000 concurrent requests,
 * relay restart mid-flight, forged signatures and JWTs, sessions, holding, fail-fast, limits, federation.
 */
import { RmbError } from '../../protocol/common/errors';
import { identityFromSecret } from '../../protocol/common/identity';
import { encodeEnvelope, signEnvelope, toUnixSeconds } from '../../protocol/rmb/envelope';
import { createRelayJwt } from '../../protocol/rmb/jwt';
import { createRmbPeer, FUNCTION_NOT_FOUND, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, RELAY_CLOSE, type Relay } from '../../protocol/rmb/relay';
import type { StaticTwinDirectory } from '../../protocol/rmb/twin-directory';
import { makeTwins, MNEMONICS, rawConnect, requestEnvelope, waitFor, type TestTwin } from './rmb-harness';

const DOMAIN = 'relay.local';

describe('rmb peers through the relay', () => {
  let relay: Relay;
  let twins: TestTwin[];
  let directory: StaticTwinDirectory;
  let a: RmbPeer;
  let b: RmbPeer;
  const extra: RmbPeer[] = [];

  beforeAll(async () => {
    ({ twins, directory } = await makeTwins(4, DOMAIN));
    relay = await createRelay({ directory, domain: DOMAIN });
    a = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [relay.url], directory, timeoutMs: 10_000 });
    b = createRmbPeer({ identity: twins[1].identity, twinId: 2, relayUrls: [relay.url], directory, session: '' });
    b.handle('test.echo', (payload, ctx) => ({ payload, from: ctx.source, encrypted: ctx.encrypted }));
    b.handle('test.nothing', () => undefined);
    b.handle('test.fail', () => {
      throw new Error('expected version to be 0 on deployment creation: invalid version');
    });
    b.handle('test.square', async (p) => {
      const { i } = p as { i: number };
      await new Promise((r) => setTimeout(r, (i * 7) % 13));
      return { i, sq: i * i };
    });
    b.handle('test.hang', () => new Promise(() => undefined));
    await Promise.all([a.ready(), b.ready()]);
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close(), ...extra.map((p) => p.close())]);
    await relay.close();
  });

  it('round-trips JSON, and the handler sees the authenticated source session', async () => {
    const r = await a.call<{ payload: unknown; from: { twin: number; connection?: string } }>(2, 'test.echo', { x: [1, 'two'] });
    expect(r.payload).toEqual({ x: [1, 'two'] });
    expect(r.from).toEqual({ twin: 1, connection: a.session });
  });

  it('encrypts end to end when both twins publish pk, and not when asked not to', async () => {
    expect((await a.call<{ encrypted: boolean }>(2, 'test.echo', { s: 1 })).encrypted).toBe(true);
    expect((await a.call<{ encrypted: boolean }>(2, 'test.echo', { s: 1 }, { encrypt: false })).encrypted).toBe(false);
  });

  it('replies JSON null for a handler without a result', async () => {
    expect(await a.callRaw(2, 'test.nothing', undefined)).toBe('null');
  });

  it('answers an unknown command with "function is not found"', async () => {
    const err = await a.call(2, 'zos.nothing.here').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RmbError);
    expect((err as RmbError).context.nodeMessage).toBe(FUNCTION_NOT_FOUND);
    expect((err as RmbError).message).toContain('zos.nothing.here to twin 2');
  });

  it('carries a handler error text unchanged', async () => {
    const err = (await a.call(2, 'test.fail', {}).catch((e: unknown) => e)) as RmbError;
    expect(err).toBeInstanceOf(RmbError);
    expect(err.context.nodeMessage).toBe('expected version to be 0 on deployment creation: invalid version');
    expect(err.message.endsWith(': expected version to be 0 on deployment creation: invalid version')).toBe(true);
    expect(err.context).toMatchObject({ twin: 2, command: 'test.fail', code: 0 });
  });

  it('times out with an error naming the twin and the command', async () => {
    const err = (await a.call(2, 'test.hang', {}, { timeoutMs: 600 }).catch((e: unknown) => e)) as RmbError;
    expect(err).toBeInstanceOf(RmbError);
    expect(err.message).toMatch(/^rmb test\.hang to twin 2: no reply within 0\.6s/);
    expect(a.inFlight()).toBe(0);
  });

  it('matches 1,000 concurrent requests to their replies', async () => {
    const n = 1000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => a.call<{ i: number; sq: number }>(2, 'test.square', { i }, { timeoutMs: 60_000 })));
    results.forEach((r, i) => expect(r).toEqual({ i, sq: i * i }));
    expect(a.inFlight()).toBe(0);
  });

  it('refuses a request whose signature does not match the sender key (code 104), without running the handler', async () => {
    let ran = false;
    b.handle('test.guarded', () => {
      ran = true;
      return 'ran';
    });
    const mallory = await rawConnect(relay.url, twins[2].identity, 3, 'm1');
    try {
      // signed by twin 4's key while claiming to be twin 3
      mallory.send(requestEnvelope(3, 'm1', 2, 'test.guarded', '{}'), twins[3].identity);
      const reply = await mallory.next((e) => !!e.error);
      expect(reply.error).toEqual({ code: 104, message: 'invalid signature' });
      expect(ran).toBe(false);
      // the same request properly signed goes through
      mallory.send(requestEnvelope(3, 'm1', 2, 'test.guarded', '{}'), twins[2].identity);
      const ok = await mallory.next((e) => !!e.response);
      expect(Buffer.from(ok.plain ?? []).toString()).toBe('"ran"');
    } finally {
      mallory.close();
    }
  });

  it('runs a repeated request (same uid, re-sent after a reconnect) once and re-sends the same reply', async () => {
    let runs = 0;
    b.handle('test.once', async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 200));
      return { runs };
    });
    const c = await rawConnect(relay.url, twins[2].identity, 3, 'r1');
    try {
      const env = requestEnvelope(3, 'r1', 2, 'test.once', '{}');
      c.send(env, twins[2].identity);
      c.send(env, twins[2].identity); // while the first still runs: ignored
      const first = await c.next((e) => e.uid === env.uid);
      c.send(env, twins[2].identity); // after it: the cached reply again
      const second = await c.next((e) => e.uid === env.uid);
      expect(Buffer.from(first.plain ?? []).toString()).toBe('{"runs":1}');
      expect(second).toEqual(first);
      expect(runs).toBe(1);
    } finally {
      c.close();
    }
  });

  it('drops forged replies (wrong twin, bad signature) and still accepts the genuine one', async () => {
    const mallory = await rawConnect(relay.url, twins[2].identity, 3, 'm2');
    try {
      let uid = '';
      b.handle('test.slow', async (_p, ctx) => {
        uid = ctx.uid;
        await new Promise((r) => setTimeout(r, 400));
        return 'genuine';
      });
      const pending = a.call<string>(2, 'test.slow', {});
      await waitFor(() => uid !== '');
      const forged = (source: number) => ({
        uid,
        timestamp: toUnixSeconds(Date.now()),
        expiration: 60,
        source: { twin: source },
        destination: { twin: 1, connection: a.session },
        response: {},
        schema: 'application/json',
        plain: new Uint8Array(Buffer.from('"forged"')),
      });
      // 1. the relay refuses an envelope whose source is not the sender's session
      mallory.send({ ...forged(2), response: undefined, request: { command: 'x' } }, twins[2].identity);
      expect((await mallory.next((e) => !!e.error)).error?.message).toBe('message wrong source');
      // 2. a correctly signed reply from a twin that was not asked: dropped by the peer
      mallory.send({ ...forged(3), destination: { twin: 1, connection: a.session } }, twins[2].identity);
      // 3. a reply claiming twin 2, injected through the (unauthenticated) federation endpoint with a bad
      //    signature: the relay delivers it, the peer's signature check drops it
      const res = await fetch(relay.federationUrl, { method: 'POST', body: encodeEnvelope(signEnvelope(forged(2), twins[2].identity)) });
      expect(res.status).toBe(202);
      expect(await pending).toBe('genuine');
    } finally {
      mallory.close();
    }
  });

  it('rejects forged, expired, unknown-twin and missing JWTs at login', async () => {
    const now = toUnixSeconds(Date.now());
    const evil = identityFromSecret(MNEMONICS[3], 'ed25519');
    await expect(rawConnect(relay.url, evil, 1)).rejects.toThrow(/HTTP 401 invalid jwt: signature/);
    await expect(rawConnect(relay.url, twins[0].identity, 1, undefined, createRelayJwt(twins[0].identity, 1, { nowS: now - 120, ttlS: 60 }))).rejects.toThrow('HTTP 401 invalid jwt: jwt has expired');
    await expect(rawConnect(relay.url, twins[0].identity, 99)).rejects.toThrow('HTTP 401 twin not found 99');
    await expect(rawConnect(relay.url, twins[0].identity, 1, undefined, '')).rejects.toThrow('HTTP 400 missing jwt');
    // a peer with the wrong key never gets a connection, and says why
    const wrong = createRmbPeer({ identity: evil, twinId: 1, relayUrls: [relay.url], directory, reconnect: { minMs: 50, maxMs: 100 } });
    try {
      await expect(wrong.ready(1000)).rejects.toThrow(/refused the login: HTTP 401/);
    } finally {
      await wrong.close();
    }
  });

  it('answers an envelope ping with a pong "hello world"', async () => {
    const c = await rawConnect(relay.url, twins[2].identity, 3, 'p1');
    try {
      c.send({ uid: 'ping-1', timestamp: toUnixSeconds(Date.now()), expiration: 40, source: { twin: 3, connection: 'p1' }, destination: { twin: 0 }, ping: {} });
      const pong = await c.next((e) => e.uid === 'ping-1');
      expect(pong.pong).toEqual({});
      expect(Buffer.from(pong.plain ?? []).toString()).toBe('hello world');
      expect(pong.destination).toEqual({ twin: 3, connection: 'p1' });
    } finally {
      c.close();
    }
  });

  it('keeps the connection usable after wrong-source, expired, oversized and undeliverable envelopes', async () => {
    const c = await rawConnect(relay.url, twins[2].identity, 3, 'k1');
    try {
      const errorFor = async (env: ReturnType<typeof requestEnvelope>) => {
        c.send(env, twins[2].identity);
        return (await c.next((e) => e.uid === env.uid)).error?.message;
      };
      expect(await errorFor(requestEnvelope(3, 'other', 2, 'x'))).toBe('message wrong source');
      expect(await errorFor(requestEnvelope(3, 'k1', 2, 'x', '', { timestamp: toUnixSeconds(Date.now()) - 100, expiration: 10 }))).toBe('message has expired');
      expect(await errorFor(requestEnvelope(3, 'k1', 2, 'x', 'x'.repeat(1024 * 1024 + 10)))).toMatch(/^message too large: \d+ bytes, limit 1048576$/);
      expect(await errorFor(requestEnvelope(3, 'k1', 0, 'x'))).toBe('message with missing destination');
      expect(await errorFor(requestEnvelope(3, 'k1', 99, 'x'))).toBe('unknown twin destination');
      directory.set({ id: 50, publicKey: twins[3].identity.publicKey });
      expect(await errorFor(requestEnvelope(3, 'k1', 50, 'x'))).toBe('relay info is not set for this twin');
      expect(await errorFor(requestEnvelope(3, 'k1', 4, 'x', '', { tags: 'trace, fail-fast' }))).toBe('destination offline');
      // still connected: a real request goes through
      const ok = requestEnvelope(3, 'k1', 2, 'test.echo', '"still here"');
      c.send(ok, twins[2].identity);
      expect((await c.next((e) => e.uid === ok.uid)).response).toEqual({});
    } finally {
      c.close();
    }
  });

  it('drops a connection that sends a text frame', async () => {
    const c = await rawConnect(relay.url, twins[2].identity, 3, 't1');
    c.ws.send('hello');
    expect((await c.closed).code).toBe(RELAY_CLOSE.TEXT_FRAME);
  });

  it('evicts the older connection of the same (twin, session)', async () => {
    const first = await rawConnect(relay.url, twins[2].identity, 3, 'dup');
    const second = await rawConnect(relay.url, twins[2].identity, 3, 'dup');
    expect((await first.closed).code).toBe(RELAY_CLOSE.EVICTED);
    const ping = { uid: 'ping-dup', timestamp: toUnixSeconds(Date.now()), expiration: 40, source: { twin: 3, connection: 'dup' }, destination: { twin: 0 }, ping: {} };
    second.send(ping);
    expect((await second.next((e) => e.uid === 'ping-dup')).pong).toEqual({});
    second.close();
  });

  it('holds a request for an offline twin of this relay and delivers it when the twin connects', async () => {
    const reply = a.call<string>(4, 'test.late', { v: 1 }, { timeoutMs: 8000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.stats().held).toBeGreaterThanOrEqual(1);
    const d = createRmbPeer({ identity: twins[3].identity, twinId: 4, relayUrls: [relay.url], directory, session: '' });
    extra.push(d);
    d.handle('test.late', (p) => `late ${JSON.stringify(p)}`);
    expect(await reply).toBe('late {"v":1}');
  });

  it('survives a relay restart mid-flight: every request gets its reply', async () => {
    const port = relay.port;
    let runs = 0;
    b.handle('test.delayed', async (p) => {
      runs++;
      await new Promise((r) => setTimeout(r, 400));
      return p;
    });
    const calls = Array.from({ length: 50 }, (_, i) =>
      a.call<number>(2, 'test.delayed', i, { timeoutMs: 15_000 }).then(
        (v) => ({ ok: v === i }),
        (e: unknown) => ({ ok: false, e }),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    await relay.close();
    await new Promise((r) => setTimeout(r, 300));
    relay = await createRelay({ directory, domain: DOMAIN, port });
    const results = await Promise.all(calls);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(runs).toBe(50); // re-sent requests were answered from the served cache, not run twice
    expect(a.connected()).toBe(1);
    // and the peers keep working afterwards
    expect(await a.call(2, 'test.echo', 'after')).toMatchObject({ payload: 'after' });
  });
});

describe('rmb federation between two relays', () => {
  it('routes a request to a twin on another relay over HTTP POST and the reply back', async () => {
    const { twins, directory } = await makeTwins(2, (id) => (id === 1 ? 'r1.local' : 'r2.local'));
    const urls = new Map<string, string>();
    const federation = { urlFor: (host: string) => urls.get(host) ?? `http://127.0.0.1:1/${host}`, passes: 2, backoffMs: 10 };
    const r1 = await createRelay({ directory, domain: 'r1.local', federation });
    const r2 = await createRelay({ directory, domain: 'r2.local', federation });
    urls.set('r1.local', r1.federationUrl);
    urls.set('r2.local', r2.federationUrl);
    const a = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [r1.url], directory });
    const b = createRmbPeer({ identity: twins[1].identity, twinId: 2, relayUrls: [r2.url], directory, session: '' });
    try {
      b.handle('test.where', () => 'from r2');
      await Promise.all([a.ready(), b.ready()]);
      expect(await a.call(2, 'test.where', {}, { timeoutMs: 5000 })).toBe('from r2');
      expect(r1.stats().federated).toBe(1);
      await waitFor(() => r2.stats().federated === 1); // the reply went back over HTTP too
      // a twin whose relay cannot be reached: the requester gets an error naming the destination
      directory.set({ id: 7, publicKey: twins[1].identity.publicKey, relay: 'nowhere.local' });
      const err = (await a.call(7, 'test.where', {}, { timeoutMs: 5000 }).catch((e: unknown) => e)) as RmbError;
      expect(err.context.nodeMessage).toMatch(/^failed to route message to peer '7': /);
      expect(err.context.fromRelay).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([r1.close(), r2.close()]);
    }
  });
});
