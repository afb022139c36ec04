/**
 * Security (issue 16): forged relay logins (JWTs) and forged envelopes are refused, at the relay and at the node,
 * with twins and keys read from the shared chain. Envelopes reach the node two ways: through a logged-in session
 * (the relay checks the source first) and as a raw federation POST (no relay check at all: the node's RMB peer is
 * the last line). The generic relay cases on a static directory are in test/rmb/peer-relay.test.ts; here they run
 * against a real node runtime, and each forged request is paired with a genuine one that goes through.
 */
import { randomBytes } from 'crypto';
import { RMB_ERROR_CODE, encodeEnvelope, signEnvelope, toUnixSeconds, type Envelope } from '../../protocol/rmb/envelope';
import { createRelayJwt, JWT_MAX_LIFETIME_S, JWT_MAX_SKEW_S } from '../../protocol/rmb/jwt';
import { MAX_CLOCK_SKEW_S } from '../../protocol/rmb/peer-server';
import { signDeployment } from '../../protocol/zos';
import { SAMPLE } from '../node/fixtures';
import { rawConnect, requestEnvelope, type RawClient } from '../rmb/rmb-harness';
import { linesWithSecrets, startSecurityGrid, type SecurityGrid } from './security-grid';

const nowS = () => toUnixSeconds(Date.now());
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('security: forged JWTs and envelopes', () => {
  let g: SecurityGrid;
  let contractId: bigint;
  /** Alice's raw session `sec`: the node's replies to requests claiming to come from it land here. */
  let aliceRaw: RawClient;

  beforeAll(async () => {
    g = await startSecurityGrid('tfg-sec-forged-');
    const d = await g.contracted(g.alice, [SAMPLE.disk]);
    await g.alice.node.deployment.deploy(signDeployment(d, g.alice.twinId, g.alice.account.identity));
    expect(await g.settled(g.alice, d.contract_id, 1)).toEqual({ disk: 'ok' });
    contractId = d.contract_id;
    aliceRaw = await rawConnect(g.relay.url, g.alice.account.identity, g.alice.twinId, 'sec');
  });
  afterAll(async () => {
    aliceRaw?.close();
    await g?.close();
  });

  /** A `zos.deployment.get` of Alice's deployment as if from her session `sec`. */
  const aliceGet = (extra: Partial<Envelope> = {}) => requestEnvelope(g.alice.twinId, 'sec', g.node.twinId, 'zos.deployment.get', JSON.stringify({ contract_id: Number(contractId) }), extra);

  /** POSTs raw envelope bytes to the relay's federation endpoint, as another relay would. */
  async function federate(bytes: Uint8Array): Promise<number> {
    const res = await fetch(g.relay.federationUrl, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    await res.text();
    return res.status;
  }

  /** Sends `env` (already signed, or forged) to the node by federation POST; the node's answer to Alice's session. */
  async function nodeAnswer(env: Envelope): Promise<Envelope> {
    expect(await federate(encodeEnvelope(env))).toBe(202);
    return aliceRaw.next((e) => e.uid === env.uid, 10_000);
  }

  it('refuses forged, tampered, expired and replayed-after-expiry JWTs at the relay login', async () => {
    const { alice, mallory } = g;
    const relay = g.relay.url;
    // signed by Mallory's key while naming Alice's twin
    await expect(rawConnect(relay, mallory.account.identity, alice.twinId)).rejects.toThrow('HTTP 401 invalid jwt: signature does not match the twin key');
    // Alice's genuine token with the claims swapped for Mallory's twin (Alice's signature kept)
    const genuine = createRelayJwt(alice.account.identity, alice.twinId, { nowS: nowS() });
    const [h, , sig] = genuine.split('.');
    const swapped = `${h}.${b64(JSON.stringify({ sub: mallory.twinId, iat: nowS(), exp: nowS() + 60 }))}.${sig}`;
    await expect(rawConnect(relay, mallory.account.identity, mallory.twinId, undefined, swapped)).rejects.toThrow('HTTP 401 invalid jwt: signature does not match the twin key');
    // Alice's claims with a longer expiry (the signature covered the old one)
    const [, claims] = genuine.split('.');
    const extended = `${h}.${b64(JSON.stringify({ ...(JSON.parse(Buffer.from(claims, 'base64url').toString()) as object), exp: nowS() + 1800 }))}.${sig}`;
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, extended)).rejects.toThrow('HTTP 401 invalid jwt: signature does not match the twin key');
    // no signature, a garbage signature, an "alg: none" token
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, `${h}.${claims}.`)).rejects.toThrow('HTTP 401 invalid jwt: signature does not match the twin key');
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, `${h}.${claims}.${randomBytes(65).toString('base64url')}`)).rejects.toThrow(
      'HTTP 401 invalid jwt: signature does not match the twin key',
    );
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, `${b64('{"alg":"none","typ":"JWT"}')}.${claims}.`)).rejects.toThrow('HTTP 401 invalid jwt');
    // expired, and an unknown twin
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, createRelayJwt(alice.account.identity, alice.twinId, { nowS: nowS() - 120, ttlS: 60 }))).rejects.toThrow(
      'HTTP 401 invalid jwt: jwt has expired',
    );
    await expect(rawConnect(relay, alice.account.identity, 4_000_000_000)).rejects.toThrow('HTTP 401 twin not found 4000000000');
    // Alice's own signature on a token issued in the future or living for a year (a leaked one would stay usable)
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, createRelayJwt(alice.account.identity, alice.twinId, { nowS: nowS() + JWT_MAX_SKEW_S + 600 }))).rejects.toThrow(
      'HTTP 401 invalid jwt: issued in the future',
    );
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, undefined, createRelayJwt(alice.account.identity, alice.twinId, { nowS: nowS(), ttlS: 365 * 86_400 }))).rejects.toThrow(
      `HTTP 401 invalid jwt: lifetime over ${JWT_MAX_LIFETIME_S} s`,
    );
    // a token that logged in once is refused when replayed after its expiry
    const short = createRelayJwt(alice.account.identity, alice.twinId, { nowS: nowS(), ttlS: 1, sid: 'short' });
    const first = await rawConnect(relay, alice.account.identity, alice.twinId, 'short', short);
    first.close();
    await new Promise((r) => setTimeout(r, 2100));
    await expect(rawConnect(relay, alice.account.identity, alice.twinId, 'short', short)).rejects.toThrow('HTTP 401 invalid jwt: jwt has expired');
  });

  it("refuses a logged-in twin's envelopes that claim another source, have expired or are too large, and keeps its session", async () => {
    const { alice, mallory } = g;
    const m = await rawConnect(g.relay.url, mallory.account.identity, mallory.twinId, 'm1');
    try {
      const errorFor = async (env: Envelope, signer = mallory.account.identity) => {
        m.send(env, signer);
        return (await m.next((e) => e.uid === env.uid)).error?.message;
      };
      // Alice's source in Mallory's session, even with a correct signature of Alice's (a captured envelope)
      expect(await errorFor(aliceGet(), alice.account.identity)).toBe('message wrong source');
      const get = (extra: Partial<Envelope> = {}) => requestEnvelope(mallory.twinId, 'm1', g.node.twinId, 'zos.deployment.get', JSON.stringify({ contract_id: Number(contractId) }), extra);
      expect(await errorFor(get({ timestamp: nowS() - 100, expiration: 10 }))).toBe('message has expired');
      expect(await errorFor(get({ plain: new Uint8Array(1024 * 1024 + 1) }))).toMatch(/^message too large: \d+ bytes, limit 1048576$/);
      // the session still works, and Mallory's genuine request is answered for her twin only
      const ok = get();
      m.send(ok, mallory.account.identity);
      expect((await m.next((e) => e.uid === ok.uid)).error).toEqual({ code: 0, message: 'deployment not found' });
    } finally {
      m.close();
    }
  });

  it('refuses at the node forged envelopes that skipped the relay: wrong signer, tampered body, bad signature, expired, future', async () => {
    const { alice, mallory } = g;
    const aliceKey = alice.account.identity;
    const refusal = async (env: Envelope) => {
      const answer = await nodeAnswer(env);
      expect(answer.plain?.length ?? 0).toBe(0); // an error, never the deployment
      return answer.error;
    };
    const invalid = { code: RMB_ERROR_CODE.INVALID_SIGNATURE, message: 'invalid signature' };
    // claims Alice, signed by Mallory
    expect(await refusal(signEnvelope(aliceGet(), mallory.account.identity))).toEqual(invalid);
    // signed by Alice, then the body changed (another contract), the command changed, the destination session changed
    const signed = signEnvelope(aliceGet(), aliceKey);
    expect(await refusal({ ...signed, uid: `${signed.uid}-b`, plain: new Uint8Array(Buffer.from(JSON.stringify({ contract_id: Number(contractId) + 1 }))) })).toEqual(invalid);
    expect(await refusal({ ...signed, uid: `${signed.uid}-c`, request: { command: 'zos.deployment.list' } })).toEqual(invalid);
    // garbage signatures (ed25519 and sr25519 prefixes) and none
    expect(await refusal({ ...aliceGet(), signature: new Uint8Array([0x73, ...randomBytes(64)]) })).toEqual(invalid);
    expect(await refusal({ ...aliceGet(), signature: new Uint8Array([0x65, ...randomBytes(64)]) })).toEqual(invalid);
    expect(await refusal({ ...aliceGet(), signature: undefined })).toEqual(invalid);
    // Alice's own signature, but expired, or stamped beyond the allowed clock skew
    expect(await refusal(signEnvelope(aliceGet({ timestamp: nowS() - 100, expiration: 10 }), aliceKey))).toEqual({ code: RMB_ERROR_CODE.VALIDATION, message: 'message has expired' });
    expect(await refusal(signEnvelope(aliceGet({ timestamp: nowS() + MAX_CLOCK_SKEW_S + 3600, expiration: 60 }), aliceKey))).toEqual({
      code: RMB_ERROR_CODE.VALIDATION,
      message: 'message timestamp is in the future',
    });
    // over the relay's limit: refused before it reaches the node
    expect(await federate(encodeEnvelope({ ...aliceGet(), plain: new Uint8Array(1024 * 1024 + 1) }))).toBe(413);
    expect(await federate(randomBytes(64))).toBe(400);
    // the same request genuinely signed by Alice is answered with her deployment
    const genuine = await nodeAnswer(signEnvelope(aliceGet({ timestamp: nowS() + 5 }), aliceKey));
    expect(genuine.error).toBeUndefined();
    expect(JSON.parse(Buffer.from(genuine.plain ?? []).toString())).toMatchObject({ twin_id: alice.twinId, contract_id: Number(contractId) });
  });

  it('leaves no key seed or login token in the node and relay logs of these runs', () => {
    expect(g.logs.some((l) => l.includes('refusing request'))).toBe(true);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(linesWithSecrets(g.logs, [hex(g.alice.account.identity.seed), hex(g.mallory.account.identity.seed), hex(g.grid.nodes[0].identity.seed), hex(g.grid.farmer.seed)])).toEqual([]);
    // nor a login token (a bearer credential while it lives): every token starts with the same encoded header
    expect(linesWithSecrets(g.logs, [b64(JSON.stringify({ alg: 'RS512', typ: 'JWT' }))])).toEqual([]);
  });
});
