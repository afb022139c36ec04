/**
 * `tfgrid rmb call` against our relay and a peer answering `zos.system.version`, with twins on the local chain.
 */
import type { ChainClient } from '../../protocol/chain';
import { e2ePublicKey } from '../../protocol/rmb/e2e';
import { createRmbPeer, RawJson, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { connectTestChain, freshAccount, testChainUrl, type TestAccount } from '../helpers/chain';
import { runCli } from '../helpers/run-cli';

describe('tfgrid rmb call', () => {
  let chain: ChainClient;
  let relay: Relay;
  let user: TestAccount;
  let nodeTwin: number;
  let node: RmbPeer;
  let seedHex: string;
  let chainUrl: string;

  beforeAll(async () => {
    chainUrl = await testChainUrl();
    chain = await connectTestChain();
    let nodeAcc: TestAccount;
    [user, nodeAcc] = await Promise.all([freshAccount(chain), freshAccount(chain, { type: 'ed25519' })]);
    const [, n] = await Promise.all([user.chain.ensureTwin({ relay: 'relay.local' }), nodeAcc.chain.ensureTwin({ relay: 'relay.local' })]);
    nodeTwin = n.id;
    const directory = createChainTwinDirectory(chain);
    relay = await createRelay({ directory, domain: 'relay.local' });
    node = createRmbPeer({ identity: nodeAcc.identity, twinId: nodeTwin, relayUrls: [relay.url], directory, session: '' });
    node.handle('zos.system.version', () => ({ zos: 'v3.10.1', zinit: 'v0.2.14' }));
    node.handle('zos.deployment.get', (p) => new RawJson(`{"contract_id":${(p as { contract_id: number }).contract_id},"size":18446744073709551615}`));
    await node.ready();
    seedHex = Buffer.from(user.identity.seed).toString('hex');
    expect(e2ePublicKey(user.identity.seed)).toHaveLength(33);
  });

  afterAll(async () => {
    await node?.close();
    await relay?.close();
    await chain?.close();
  });

  const base = () => ['--relay', relay.url, '--chain', chainUrl, '--mnemonic', seedHex];

  it('prints the node version', async () => {
    const r = await runCli(['rmb', 'call', '--twin', String(nodeTwin), '--cmd', 'zos.system.version', ...base()]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ zos: 'v3.10.1', zinit: 'v0.2.14' });
  });

  it('sends --data and prints u64 values exactly', async () => {
    const r = await runCli(['rmb', 'call', '--twin', String(nodeTwin), '--cmd', 'zos.deployment.get', '--data', '{"contract_id": 12}', ...base()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"size": 18446744073709551615');
    expect(r.out).toContain('"contract_id": 12');
  });

  it('prints the node error text and exits 1', async () => {
    const r = await runCli(['rmb', 'call', '--twin', String(nodeTwin), '--cmd', 'zos.nope', ...base()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`rmb zos.nope to twin ${nodeTwin}: twin ${nodeTwin} replied with an error: function is not found`);
  });

  it('refuses bad input with exit 2 before connecting', async () => {
    expect((await runCli(['rmb', 'call', '--twin', 'x', '--cmd', 'a', ...base()])).err).toContain('--twin must be a positive integer');
    const bad = await runCli(['rmb', 'call', '--twin', '3', '--cmd', 'a', '--data', '{oops', ...base()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--data is not JSON');
  });
});
