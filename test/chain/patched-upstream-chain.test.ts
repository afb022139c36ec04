/**
 * Our own genesis patch, end to end (rmb-tfchain.md §C4, §C7): the upstream dev spec patched by
 * `writePatchedSpec` (runtime from the team spec's `:code`, as a user's machine would get from the pinned
 * download) boots under chopsticks with runtime spec 144, and the fixes hold: a node registers (farming
 * policy), a contract with a public IP is created and cancelled (billing: pricing policy layout, TFT price).
 * Then the chain stops by PID.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { hexToU8a } from '@polkadot/util';
import { bootstrapGrid, isAlive, startLocalChain, writePatchedSpec, TFT, type LocalChain } from '../../local/chain';
import { CODE_KEY, rawChainSpecSchema } from '../../local/chain/genesis-patch';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { cryptoReady, identityFromSeed } from '../../protocol/common/identity';
import { readSharedJson } from '../helpers/shared';

describe('a chain from our patched upstream genesis', () => {
  let dir: string;
  let chain: LocalChain;
  let client: ChainClient;

  beforeAll(async () => {
    await cryptoReady();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-chain-'));
    const runtime = hexToU8a(rawChainSpecSchema.parse(readSharedJson('tfchain-local-spec144.chainspec.json')).genesis.raw.top[CODE_KEY]);
    const spec = await writePatchedSpec(readSharedJson('upstream', 'tfchain', 'dev-chainSpecRaw.json'), runtime, path.join(dir, 'spec.json'));
    chain = await startLocalChain({ spec, logFile: path.join(dir, 'chopsticks.log') });
    client = await createChainClient({ urls: [chain.url] });
  });

  afterAll(async () => {
    await client?.close();
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs runtime spec 144 and answers as the local chain', async () => {
    expect(client.api.runtimeVersion.specVersion.toNumber()).toBe(144);
    // chopsticks answers system_chain with the spec id
    expect((await client.api.rpc.system.chain()).toString()).toBe('tfchain_local_chopsticks');
    expect((await client.api.rpc.chain.getHeader()).number.toNumber()).toBeGreaterThanOrEqual(1);
    expect(await client.getBalance((await client.withSigner({ uri: '//Ferdie', type: 'ed25519' })).address!)).toBe(100_000_000n * TFT);
  });

  it('registers a node and bills a public-IP contract on cancel', async () => {
    const farmer = identityFromSeed(randomBytes(32), 'sr25519');
    const node = identityFromSeed(randomBytes(32), 'ed25519');
    const user = identityFromSeed(randomBytes(32), 'sr25519');
    const grid = await bootstrapGrid(client, {
      balance: 1000n * TFT,
      farms: [{ name: 'patched_farm', farmer, publicIps: [{ ip: '185.15.1.10/24', gw: '185.15.1.1' }] }],
      nodes: [{ farm: 'patched_farm', signer: node, relay: 'localhost', resources: { hru: 1n << 40n, sru: 1n << 40n, cru: 4n, mru: 8n << 30n } }],
      users: [{ signer: user, relay: 'localhost' }],
    });
    const u = await client.withSigner(user);
    const c = await u.createNodeContract({ nodeId: grid.nodes[0].id, hash: 'c4ca4238a0b923820dcc509a6f75849b', publicIps: 1 });
    expect(c.publicIpsList[0].ip).toBe('185.15.1.10/24');
    await client.api.rpc('dev_newBlock', { count: 3 });
    const before = await client.getBalance(user.address);
    await u.cancelContract(c.contractId);
    expect(await client.getBalance(user.address)).toBeLessThan(before);
    expect(await client.getFreePublicIps(grid.farms[0].id)).toHaveLength(1);
  });

  it('stops by PID', async () => {
    const pid = chain.pid;
    await client.close();
    await chain.stop();
    expect(isAlive(pid)).toBe(false);
  });
});
