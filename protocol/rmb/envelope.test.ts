/**
 * Envelope codec, challenge, signatures, relay JWT and e2e crypto (rmb-tfchain.md §A2–§A4, §A6, §A7), checked
 * against ThreeFold's own TS client where it can be: same decode, same md5 challenge, its JWT, its pk, its cipher.
 */
import * as path from 'path';
import { Keyring } from '@polkadot/keyring';
import { cryptoReady, identityFromSecret } from '../common/identity';
import { buildErrorEnvelope, challengeDigest, decodeEnvelope, encodeEnvelope, isExpired, JSON_SCHEMA, signEnvelope, stampEnvelope, verifyEnvelope, type Envelope } from './envelope';
import { createRelayJwt, parseRelayJwt, verifyRelayJwt } from './jwt';
import { e2eDecrypt, e2eEncrypt, e2ePublicKey } from './e2e';

// ThreeFold's own TS client (dev dependency) is the reference for the wire and the challenge.
const officialDir = path.dirname(require.resolve('@threefold/rmb_direct_client'));
const official = require(path.join(officialDir, 'types/lib/types')) as {
  Envelope: { deserializeBinary(b: Uint8Array): OfficialEnvelope };
};
const OfficialClientEnvelope = (
  require(path.join(officialDir, 'envelope')) as {
    default: new (
      ...a: unknown[]
    ) => OfficialEnvelope & { challenge(): Buffer; encrypt(d: string, m: string, pk: string): Promise<Uint8Array>; decrypt(m: string): Promise<Uint8Array>; twin: unknown };
  }
).default;
const officialClient = require(path.join(officialDir, 'client')) as { Client: { prototype: { newJWT(this: unknown, sid: string): string } } };
const officialUtil = require(path.join(officialDir, 'util')) as { generatePublicKey(secret: string): string };
interface OfficialEnvelope {
  uid: string;
  serializeBinary(): Uint8Array;
  plain: Uint8Array;
  cipher: Uint8Array;
}

const DEV = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const OTHER = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

const base: Envelope = {
  uid: '7f1d9a52-2c3e-4c8e-9c55-0d4c0e6a1b11',
  timestamp: 1_700_000_000,
  expiration: 60,
  source: { twin: 17, connection: 'abcdefghij' },
  destination: { twin: 42 },
  schema: JSON_SCHEMA,
};

const u8 = (s: string, enc: BufferEncoding = 'utf8') => new Uint8Array(Buffer.from(s, enc));

const cases: [string, Envelope][] = [
  ['request with JSON body', { ...base, request: { command: 'zos.deployment.get' }, plain: u8('{"contract_id":12}') }],
  ['request with empty body', { ...base, request: { command: 'zos.system.version' }, plain: new Uint8Array() }],
  ['request with tags and relays', { ...base, tags: 'fail-fast', request: { command: 'x.y' }, plain: u8('1'), relays: ['relay.one', 'relay.two'] }],
  ['response to a session', { ...base, source: { twin: 42 }, destination: { twin: 17, connection: 'abc' }, response: {}, plain: u8('null') }],
  ['error reply', { ...base, error: { code: 104, message: 'invalid signature' } }],
  ['encrypted request', { ...base, request: { command: 'zos.deployment.deploy' }, cipher: u8('00112233445566778899aabbccddeeff0011', 'hex') }],
  ['federation field set', { ...base, federation: 'relay.example', request: { command: 'a' }, plain: u8('[]') }],
];

describe('rmb envelope', () => {
  beforeAll(cryptoReady);

  it.each(cases)('encodes %s so the official client decodes the same message', (_name, env) => {
    const bytes = encodeEnvelope(env);
    const theirs = official.Envelope.deserializeBinary(bytes);
    // field order on the wire may differ (google-protobuf vs protobufjs); the decoded message may not
    expect(decodeEnvelope(theirs.serializeBinary())).toEqual(env);
  });

  it.each(cases)('computes the same md5 challenge as the official client for %s', (_name, env) => {
    const theirs = new OfficialClientEnvelope(undefined, official.Envelope.deserializeBinary(encodeEnvelope(env)), '', undefined, new Map());
    expect(Buffer.from(challengeDigest(env)).toString('hex')).toBe(theirs.challenge().toString('hex'));
  });

  it('round-trips 300 random envelopes through the official client and computes its challenge (the hot-path codec)', () => {
    let seed = 16;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = () => ['', 'a', 'fail-fast', 'héllo ✓', 'x'.repeat(rnd(200))][rnd(5)];
    const bytes = (n: number) => Uint8Array.from({ length: rnd(n) }, () => rnd(256));
    for (let i = 0; i < 300; i++) {
      // the official client's Envelope always sets schema to application/json, so its challenge only matches that
      const env: Envelope = {
        uid: text(),
        timestamp: [0, 1, 1_700_000_000, 2 ** 40][rnd(4)],
        expiration: [0, 60, 2 ** 33][rnd(3)],
        source: rnd(2) ? { twin: rnd(2 ** 32), connection: `c${text()}` } : { twin: rnd(99) },
        destination: rnd(2) ? { twin: rnd(99), connection: `d${text()}` } : { twin: rnd(99) },
        schema: JSON_SCHEMA,
      };
      const kind = rnd(5);
      if (kind === 0) env.request = { command: text() };
      else if (kind === 1) env.response = {};
      else if (kind === 2) env.error = { code: rnd(600), message: text() };
      else if (kind === 3) env.ping = {};
      else env.pong = {};
      if (rnd(2)) env.tags = text();
      if (rnd(2)) env.signature = bytes(70);
      if (rnd(3) === 0) env.federation = text();
      const payload = rnd(4);
      if (payload < 2) env.plain = bytes(300);
      else if (payload === 2) env.cipher = bytes(300);
      if (rnd(3) === 0) env.relays = [`r${text()}`, 'relay.two'];
      const theirs = official.Envelope.deserializeBinary(encodeEnvelope(env));
      expect(decodeEnvelope(theirs.serializeBinary())).toEqual(env);
      const challenge = new OfficialClientEnvelope(undefined, theirs, '', undefined, new Map()).challenge();
      expect(Buffer.from(challengeDigest(env)).toString('hex')).toBe(challenge.toString('hex'));
    }
  });

  it.each(['ed25519', 'sr25519'] as const)('signs with the %s prefix byte and verifies, rejecting any changed field', (type) => {
    const id = identityFromSecret(DEV, type);
    const env = signEnvelope({ ...base, request: { command: 'zos.system.version' }, plain: Buffer.from('') }, id);
    expect(env.signature).toHaveLength(65);
    expect(env.signature![0]).toBe(type === 'ed25519' ? 0x65 : 0x73);
    const wire = decodeEnvelope(encodeEnvelope(env));
    expect(verifyEnvelope(wire, id.publicKey)).toBe(true);
    expect(verifyEnvelope({ ...wire, destination: { twin: 43 } }, id.publicKey)).toBe(false);
    expect(verifyEnvelope({ ...wire, request: { command: 'zos.system.dmi' } }, id.publicKey)).toBe(false);
    expect(verifyEnvelope({ ...wire, source: { twin: 17 } }, id.publicKey)).toBe(false);
    expect(verifyEnvelope(wire, identityFromSecret(OTHER, type).publicKey)).toBe(false);
    expect(verifyEnvelope({ ...wire, signature: undefined }, id.publicKey)).toBe(false);
  });

  it('verifies a signature made by polkadot-js keyring (what the official client signs with)', () => {
    const pair = new Keyring({ type: 'sr25519' }).addFromUri(DEV);
    const env: Envelope = { ...base, request: { command: 'zos.statistics.get' }, plain: Buffer.from('') };
    const sig = pair.sign(challengeDigest(env));
    const signed = { ...env, signature: Uint8Array.from([0x73, ...sig]) };
    expect(verifyEnvelope(signed, identityFromSecret(DEV, 'sr25519').publicKey)).toBe(true);
  });

  it("decodes the official client's keepalive ping: an empty destination Address is twin 0", () => {
    // what rmb_direct_client's Client.ping() sends every 20 s: `destination = new Address()` (empty submessage)
    const types = require(path.join(officialDir, 'types/lib/types')) as Record<string, new (init?: object) => OfficialEnvelope & Record<string, unknown>>;
    const ping = new types.Envelope({ uid: base.uid, timestamp: 1_700_000_000, expiration: 40, source: new types.Address({ twin: 17, connection: 'abc' }), ping: new types.Ping() });
    ping.destination = new types.Address();
    const bytes = ping.serializeBinary();
    expect(decodeEnvelope(bytes)).toEqual({ uid: base.uid, timestamp: 1_700_000_000, expiration: 40, source: { twin: 17, connection: 'abc' }, destination: { twin: 0 }, ping: {} });
  });

  it("ignores fields it does not know (a newer client's), as protobuf readers must", () => {
    const env: Envelope = { ...base, request: { command: 'zos.system.version' }, plain: u8('') };
    // field 30 (varint 7) and field 31 (bytes "x"), tags as two-byte varints, after the known fields
    const extra = Uint8Array.from([0xf0, 0x01, 7, 0xfa, 0x01, 1, 0x78]);
    expect(decodeEnvelope(Buffer.concat([encodeEnvelope(env), extra]))).toEqual(env);
  });

  it('refuses bytes that are not an envelope', () => {
    expect(() => decodeEnvelope(Buffer.from('this is not protobuf at all'))).toThrow(/cannot decode envelope|invalid shape/);
  });

  it('expires at timestamp + expiration, and stamping keeps the deadline', () => {
    const env = { ...base, timestamp: 100, expiration: 10 };
    expect(isExpired(env, 109)).toBe(false);
    expect(isExpired(env, 110)).toBe(true);
    expect(stampEnvelope(env, 105)).toMatchObject({ timestamp: 105, expiration: 5 });
    expect(stampEnvelope({ ...env, timestamp: 0 }, 105)).toMatchObject({ timestamp: 105, expiration: 10 });
    expect(stampEnvelope({ ...env, timestamp: 200 }, 105)).toMatchObject({ timestamp: 105, expiration: 10 });
  });

  it('builds relay error replies with the request uid, no source and a 300 s TTL', () => {
    const err = buildErrorEnvelope({ ...base, request: { command: 'x' } }, 'message wrong source', 5);
    expect(err).toEqual({ uid: base.uid, timestamp: 5, expiration: 300, source: { twin: 0 }, destination: base.source, error: { code: 0, message: 'message wrong source' } });
  });
});

describe('rmb relay JWT', () => {
  beforeAll(cryptoReady);

  it.each(['ed25519', 'sr25519'] as const)('creates a %s token the relay accepts and a changed one it refuses', (type) => {
    const id = identityFromSecret(DEV, type);
    const jwt = createRelayJwt(id, 17, { nowS: 1000, ttlS: 60, sid: 'abc' });
    const [h] = jwt.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS512', typ: 'JWT' });
    expect(parseRelayJwt(jwt, 1000)).toEqual({ sub: 17, iat: 1000, exp: 1060, sid: 'abc' });
    expect(verifyRelayJwt(jwt, id.publicKey)).toBe(true);
    // same signature, different claims (another twin id): refused
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 18, iat: 1000, exp: 1060, sid: 'abc' })).toString('base64url');
    const parts = jwt.split('.');
    expect(verifyRelayJwt(`${parts[0]}.${forgedClaims}.${parts[2]}`, id.publicKey)).toBe(false);
    expect(verifyRelayJwt(jwt, identityFromSecret(OTHER, type).publicKey)).toBe(false);
  });

  it('rejects expired and malformed tokens with the reason', () => {
    const id = identityFromSecret(DEV, 'ed25519');
    const jwt = createRelayJwt(id, 17, { nowS: 1000, ttlS: 60 });
    expect(() => parseRelayJwt(jwt, 1061)).toThrow('invalid jwt: jwt has expired');
    expect(() => parseRelayJwt('abc', 1000)).toThrow(/three dot-separated parts/);
    expect(() => parseRelayJwt('a.b.c', 1000)).toThrow(/invalid jwt/);
  });

  it('accepts the token the official client builds', () => {
    const pair = new Keyring({ type: 'sr25519' }).addFromUri(DEV);
    const jwt = officialClient.Client.prototype.newJWT.call({ twin: { id: 9 }, signer: pair }, 'sess1');
    const nowS = Math.ceil(Date.now() / 1000);
    expect(parseRelayJwt(jwt, nowS)).toMatchObject({ sub: 9, sid: 'sess1' });
    expect(verifyRelayJwt(jwt, identityFromSecret(DEV, 'sr25519').publicKey)).toBe(true);
  });
});

describe('rmb e2e encryption', () => {
  beforeAll(cryptoReady);

  it('derives the same pk as the official client', () => {
    const id = identityFromSecret(DEV, 'sr25519');
    expect('0x' + Buffer.from(e2ePublicKey(id.seed)).toString('hex')).toBe(officialUtil.generatePublicKey(DEV));
  });

  it('round-trips, and a wrong key or a flipped bit fails to decrypt', () => {
    const a = identityFromSecret(DEV, 'ed25519');
    const b = identityFromSecret(OTHER, 'ed25519');
    const cipher = e2eEncrypt(a.seed, e2ePublicKey(b.seed), Buffer.from('{"hello":1}'));
    expect(Buffer.from(e2eDecrypt(b.seed, e2ePublicKey(a.seed), cipher)).toString()).toBe('{"hello":1}');
    expect(() => e2eDecrypt(b.seed, e2ePublicKey(b.seed), cipher)).toThrow(/failed to decrypt/);
    const bad = Uint8Array.from(cipher);
    bad[14] ^= 1;
    expect(() => e2eDecrypt(b.seed, e2ePublicKey(a.seed), bad)).toThrow(/failed to decrypt/);
  });

  it('decrypts what the official client encrypts, and the official client decrypts ours', async () => {
    const me = identityFromSecret(DEV, 'sr25519');
    const them = identityFromSecret(OTHER, 'sr25519');
    const env = new OfficialClientEnvelope(undefined, official.Envelope.deserializeBinary(encodeEnvelope({ ...base, request: { command: 'x' } })), '', undefined, new Map());
    const theirCipher = await env.encrypt('{"a":"b"}', OTHER, '0x' + Buffer.from(e2ePublicKey(me.seed)).toString('hex'));
    expect(Buffer.from(e2eDecrypt(me.seed, e2ePublicKey(them.seed), theirCipher)).toString()).toBe('{"a":"b"}');

    const ours = e2eEncrypt(me.seed, e2ePublicKey(them.seed), Buffer.from('[1,2,3]'));
    const reply = new OfficialClientEnvelope(undefined, official.Envelope.deserializeBinary(encodeEnvelope({ ...base, response: {}, cipher: ours })), '', undefined, new Map());
    reply.twin = { pk: '0x' + Buffer.from(e2ePublicKey(me.seed)).toString('hex') };
    expect(Buffer.from(await reply.decrypt(OTHER)).toString()).toBe('[1,2,3]');
  });
});
