/**
 * Our relay and peer against the real local chain (twin keys from `tfgridModule.twins`), and ThreeFold's own
 * `@threefold/rmb_direct_client` 2.9.2, unchanged, talking through our relay to our peer (rmb-tfchain.md §A.x).
 *
 * The official client derives the twin's on-chain relay field from the relay URL by stripping `wss://` and
 * `/`, and the chain accepts only a bare host there; so its relay must be `wss://<host>/` on port 443. The
 * test serves TLS (a throwaway self-signed certificate) on a loopback address of its own, which needs root.
 *
 * The official client pings the relay with an envelope right after it connects and then 20 s after each pong
 * (`Client.__pingPong`, a fixed `20 * 1000` it offers no option for); a relay that refuses the ping closes the
 * socket and the client's next call waits ~10 s for its reconnect.
 */
import type { ChainClient } from '../../protocol/chain';
import type { RmbError } from '../../protocol/common/errors';
import { createRmbPeer, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { connectTestChain, freshAccount, testChainUrl, type TestAccount } from '../helpers/chain';
import { closeOfficialClient, ensureTwinWithE2eKey, officialClient, officialRelayTls, type OfficialRelayTls } from '../helpers/official-rmb';
import { describeWithTools } from '../helpers/require-tools';
import { rawConnect, waitFor } from './rmb-harness';

describeWithTools([], { root: true })('rmb on the local chain', () => {
  let tlsHost: OfficialRelayTls;
  let HOST: string;
  let chain: ChainClient;
  let relay: Relay;
  let user: TestAccount;
  let nodeAcc: TestAccount;
  let userTwin: number;
  let nodeTwin: number;
  let nodePeer: RmbPeer;

  beforeAll(async () => {
    tlsHost = officialRelayTls(20);
    HOST = tlsHost.host;
    chain = await connectTestChain();
    [user, nodeAcc] = await Promise.all([freshAccount(chain, { type: 'sr25519' }), freshAccount(chain, { type: 'ed25519' })]);
    [userTwin, nodeTwin] = await Promise.all([ensureTwinWithE2eKey(user, HOST), ensureTwinWithE2eKey(nodeAcc, HOST)]);
    const directory = createChainTwinDirectory(chain, { ttlMs: 2000 });
    relay = await createRelay({ host: HOST, port: 443, tls: tlsHost.tls, directory, domain: HOST });
    nodePeer = createRmbPeer({ identity: nodeAcc.identity, twinId: nodeTwin, relayUrls: [relay.url], directory, session: '' });
    nodePeer.handle('zos.system.version', () => ({ zos: 'tfgrid-test', zinit: 'none' }));
    nodePeer.handle('test.echo', (p, ctx) => ({ echo: p, encrypted: ctx.encrypted, from: ctx.source.twin }));
    nodePeer.handle('zos.deployment.deploy', () => undefined);
    nodePeer.handle('zos.deployment.get', () => {
      throw new Error('deployment not found');
    });
    await nodePeer.ready();
  });

  afterAll(async () => {
    await nodePeer?.close();
    await relay?.close();
    await chain?.close();
    tlsHost?.restore();
  });

  it('round-trips between our peers with keys read from the chain', async () => {
    const directory = createChainTwinDirectory(chain);
    const me = createRmbPeer({ identity: user.identity, twinId: userTwin, relayUrls: [relay.url], directory });
    try {
      await me.ready();
      expect(await me.call(nodeTwin, 'test.echo', { hi: 1 })).toEqual({ echo: { hi: 1 }, encrypted: true, from: userTwin });
      const err = (await me.call(nodeTwin, 'zos.deployment.get', { contract_id: 9 }).catch((e: unknown) => e)) as RmbError;
      expect(err.context.nodeMessage).toBe('deployment not found');
    } finally {
      await me.close();
    }
  });

  it("refuses a login signed with a key other than the twin's on-chain key", async () => {
    await expect(rawConnect(relay.url, nodeAcc.identity, userTwin, 'x')).rejects.toThrow(/HTTP 401 invalid jwt/);
  });

  it('serves the official @threefold/rmb_direct_client unchanged (signed replies, null bodies, encryption)', async () => {
    const official = officialClient(await testChainUrl(), HOST, user, 'official1');
    try {
      await official.connect();
      const version = await official.read(await official.send('zos.system.version', '', nodeTwin, 1));
      expect(version).toEqual({ zos: 'tfgrid-test', zinit: 'none' });
      const echo = await official.read(await official.send('test.echo', JSON.stringify({ a: [1, 2] }), nodeTwin, 1));
      // both twins publish pk, so the official client encrypted the body and decrypted our reply
      expect(echo).toEqual({ echo: { a: [1, 2] }, encrypted: true, from: userTwin });
      expect(await official.read(await official.send('zos.deployment.deploy', JSON.stringify({ version: 0 }), nodeTwin, 1))).toBeNull();
      await expect(official.read(await official.send('zos.nothing', '', nodeTwin, 1))).rejects.toThrow('0 function is not found');
    } finally {
      await closeOfficialClient(official);
    }
  });

  it("answers the official client's keepalive pings with pongs: one connection through the first call and past the ping interval", async () => {
    // a twin of its own: the official client caches one Client per relay URL + mnemonic, the test above closed user's
    const acc = await freshAccount(chain, { type: 'sr25519' });
    await ensureTwinWithE2eKey(acc, HOST);
    const official = officialClient(await testChainUrl(), HOST, acc, 'keepalive');
    const closes: number[] = [];
    const before = relay.stats();
    try {
      await official.connect();
      (official as unknown as { con: { on(ev: 'close', cb: (code: number) => void): void } }).con.on('close', (code) => closes.push(code));
      expect(await official.read(await official.send('zos.system.version', '', nodeTwin, 1))).toEqual({ zos: 'tfgrid-test', zinit: 'none' });
      // the connect-time ping and the one 20 s after its pong; a refused ping never gets its pong
      await waitFor(() => relay.stats().pongs >= before.pongs + 2, 40_000);
      expect(await official.read(await official.send('zos.system.version', '', nodeTwin, 1))).toEqual({ zos: 'tfgrid-test', zinit: 'none' });
      expect(closes).toEqual([]);
      expect(relay.stats().logins - before.logins).toBe(1);
    } finally {
      await closeOfficialClient(official);
    }
  }, 90_000);
});
