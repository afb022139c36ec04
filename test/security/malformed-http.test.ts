/**
 * Security (issue 16): the HTTP edges answer malformed input with a 4xx, never a 5xx or a hang, and keep serving:
 * the grid proxy (query strings, paths, ids, raw bytes that are not HTTP) and the relay (federation POSTs and
 * WebSocket logins). The node API has no HTTP edge; its malformed payloads are covered by
 * test/node/malformed-payloads.test.ts (200+ payloads on every command, in process) and test/node/node-over-rmb
 * (through the relay), and forged envelopes by test/security/forged-messages.test.ts. Parameter decoding itself
 * is unit-tested in local/gridproxy/query.test.ts; this file sends the bad input over the wire.
 */
import * as net from 'net';
import { startGridProxyServer, type GridProxyServer } from '../../local/gridproxy/server';
import { fixtureIndex } from '../../local/gridproxy/fixture';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { encodeEnvelope, toUnixSeconds, type Envelope } from '../../protocol/rmb/envelope';
import { makeTwins, rawConnect, requestEnvelope, type TestTwin } from '../rmb/rmb-harness';

/** Raw bytes to `port`; the status line's code (0 when the server closed without one). */
function rawHttp(port: number, bytes: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', reject);
    s.setTimeout(10_000, () => {
      s.destroy();
      reject(new Error('no answer in 10 s'));
    });
    s.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1] ?? 0)));
  });
}

/**
 * Malformed input that upstream's grid proxy answers with a 500 and ours too, on purpose (the fact sheet: an
 * unknown `status` value reaches its SQL and fails; an unknown contract id or node status is a 500): kept as
 * upstream, since clients match its answers. Pinned here so any other 5xx stands out.
 */
const UPSTREAM_500 = ['/nodes?status=%ZZ', '/nodes?status=sideways', '/contracts/4000000000', '/nodes/4000000000/status'];

/** Malformed grid proxy requests (path and query as sent on the wire). */
const PROXY_FUZZ = [
  '/nodes?size=-1',
  '/nodes?page=abc',
  '/nodes?free_mru=1e400',
  '/nodes?free_mru=-5',
  '/nodes?free_mru=18446744073709551616999',
  '/nodes?total_cru=0x10',
  '/nodes?ipv4=maybe',
  '/nodes?farm_ids=1,,x',
  '/nodes?no_such_filter=1',
  `/nodes?status=${'up,'.repeat(20_000)}`,
  `/nodes?${'a'.repeat(9000)}=1`,
  '/nodes?node_id=%00',
  '/nodes?sort_by=node_id;drop%20table%20nodes',
  '/farms?farm_id=x',
  '/twins?twin_id=-1',
  '/contracts?contract_id=1.5',
  '/contracts/1/bills?size=x',
  '/public_ips?free=2',
  '/stats?status=up&balance=NaNx',
  '/nodes/abc',
  '/nodes/-1',
  '/nodes/99999999999999999999999999',
  '/nodes/1/nothing',
  '/contracts/1e3',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/nodes/%00',
];

describe('security: malformed HTTP input', () => {
  let proxy: GridProxyServer;
  let relay: Relay;
  let twins: TestTwin[];

  beforeAll(async () => {
    proxy = await startGridProxyServer({ index: fixtureIndex, statistics: async () => ({ total: {}, used: {} }) });
    const made = await makeTwins(2, 'localhost');
    twins = made.twins;
    relay = await createRelay({ directory: made.directory, domain: 'localhost' });
  });
  afterAll(async () => {
    await proxy?.close();
    await relay?.close();
  });

  it('the grid proxy answers malformed queries, paths and non-HTTP bytes with 4xx and keeps serving', async () => {
    const answers: Record<string, number> = {};
    for (const p of PROXY_FUZZ) answers[p.slice(0, 60)] = await rawHttp(proxy.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    answers['POST body'] = await rawHttp(proxy.port, 'POST /nodes?size=x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":');
    answers['garbage request line'] = await rawHttp(proxy.port, 'GARBAGE\r\n\r\n');
    answers.binary = await rawHttp(proxy.port, Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]));
    answers['header flood'] = await rawHttp(proxy.port, `GET /nodes HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(5000)}\r\n`);
    const bad = Object.entries(answers).filter(([, code]) => code < 400 || code >= 500);
    expect(bad).toEqual([]);
    for (const p of UPSTREAM_500) expect([p, await rawHttp(proxy.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)]).toEqual([p, 500]);
    // still serving
    const res = await fetch(`${proxy.url}/nodes?status=up&size=2`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(2);
  });

  it('the relay answers malformed federation posts and logins with 4xx and keeps serving', async () => {
    const post = async (body: Uint8Array | string, path = '/') => (await fetch(new URL(path, relay.federationUrl), { method: 'POST', body })).status;
    expect(await post(new Uint8Array([0xff, 0xff, 0xff, 0x01]))).toBe(400);
    expect(await post('')).toBe(400); // an empty protobuf is an envelope to twin 0: nobody can receive it
    expect(await post('x', '/nope')).toBe(404);
    expect((await fetch(relay.federationUrl)).status).toBe(404);
    expect(await post(encodeEnvelope(requestEnvelope(1, undefined, 2, 'x', 'y'.repeat(1024 * 1024 + 1))))).toBe(413);
    const upgrade = (query: string) =>
      rawHttp(relay.port, `GET /?${query} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    for (const q of ['', '%E0%A4%A', 'a.b', 'a.b.c', `${'x'.repeat(6000)}.e30.x`, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'e30.eyJzdWIiOi0xLCJpYXQiOjAsImV4cCI6OTk5OTk5OTk5OX0.AA']) {
      const code = await upgrade(q);
      expect([q.slice(0, 20), code >= 400 && code < 500]).toEqual([q.slice(0, 20), true]);
    }
    expect(await rawHttp(relay.port, 'GARBAGE\r\n\r\n')).toBe(400);
    // still serving: a genuine login and a routed request
    const c = await rawConnect(relay.url, twins[0].identity, 1, 'ok');
    try {
      const env = requestEnvelope(1, 'ok', 1, 'x', '', { destination: { twin: 1, connection: 'ok' } });
      c.send(env, twins[0].identity);
      expect((await c.next((e) => e.uid === env.uid)).request?.command).toBe('x');
    } finally {
      c.close();
    }
  });

  it('the relay holds no unreceivable or expired envelope posted by anyone, and at most its byte bound in all', async () => {
    const bounded = await createRelay({ directory: (await makeTwins(2, 'localhost')).directory, domain: 'localhost', hold: { maxBytes: 3 * 1024 * 1024 } });
    try {
      const post = async (env: Envelope) => (await fetch(bounded.federationUrl, { method: 'POST', body: encodeEnvelope(env) })).status;
      const big = (session: string, extra: Partial<Envelope> = {}) =>
        requestEnvelope(1, undefined, 2, 'x', 'y'.repeat(1000 * 1000), { destination: { twin: 2, connection: session }, expiration: 3600, ...extra });
      expect(await post(big('s0', { timestamp: toUnixSeconds(Date.now()) - 7200 }))).toBe(400);
      expect(await post(big('s0', { destination: { twin: 0 } }))).toBe(400);
      expect(bounded.stats().held).toBe(0);
      // 1 MB envelopes to ever new sessions (as an attacker would, to fill memory): three held, then refused
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push(await post(big(`s${i}`)));
      expect(codes).toEqual([202, 202, 202, 503, 503, 503]);
      expect(bounded.stats().held).toBe(3);
      // a session that connects gets its messages, which frees room for others
      const c = await rawConnect(bounded.url, twins[1].identity, 2, 's1');
      try {
        await c.next((e) => e.request?.command === 'x');
        expect(bounded.stats().held).toBe(2);
        expect(await post(big('s9'))).toBe(202);
      } finally {
        c.close();
      }
    } finally {
      await bounded.close();
    }
  });
});
