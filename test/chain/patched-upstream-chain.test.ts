/**
 * Our own genesis patch, end to end (rmb-tfchain.md §C4, §C7): the pinned upstream dev spec patched by
 * `writePatchedSpec` with the pinned runtime (both from the chain cache, as `tfgrid local chain fetch` leaves
 * them; `../shared` may stand in for the cache) boots under chopsticks with runtime spec 144, and the fixes hold: a node registers (farming
 * policy), a contract with a public IP is created and cancelled (billing: pricing policy layout, TFT price),
 * a broke twin's contract goes into grace period (locked) and out again (unlocked). This file runs its own
 * chain because it moves chain time. Then the chain stops by PID.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { bootstrapGrid, isAlive, startLocalChain, writePatchedSpec, TFT, type LocalChain } from '../../local/chain';
import { createChainClient, type ChainClient, type ContractEvent } from '../../protocol/chain';
import { cryptoReady, identityFromSeed } from '../../protocol/common/identity';
import { pinnedChainArtefacts } from '../helpers/chain-artefacts';
import { waitFor } from '../helpers/wait-for';

describe('a chain from our patched upstream genesis', () => {
  let dir: string;
  let chain: LocalChain;
  let client: ChainClient;
  let grid: Awaited<ReturnType<typeof bootstrapGrid>>;

  beforeAll(async () => {
    await cryptoReady();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-chain-'));
    const pinned = pinnedChainArtefacts();
    const spec = await writePatchedSpec(JSON.parse(pinned.devSpec.toString('utf8')), pinned.runtime, path.join(dir, 'spec.json'));
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
    grid = await bootstrapGrid(client, {
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

  it('reports a contract locked (grace period) when its twin cannot pay, and unlocked once it can', async () => {
    const events: ContractEvent[] = [];
    const unsubscribe = await client.subscribeContractEvents((e) => events.push(e));
    try {
      const user = identityFromSeed(randomBytes(32), 'sr25519');
      await bootstrapGrid(client, { balance: 1000n * TFT, farms: [], nodes: [], users: [{ signer: user }] });
      const u = await client.withSigner(user);
      const c = await u.createNodeContract({ nodeId: grid.nodes[0].id, hash: 'c81e728d9d4c2f636f067f89cc14862c', publicIps: 1 });
      const nonce = (await client.api.rpc.system.accountNextIndex(user.address)).toNumber();
      const setFree = (free: bigint) => client.api.rpc('dev_setStorage', { System: { Account: [[[user.address], { nonce, providers: 1, data: { free } }]] } });
      const biller = await client.withSigner({ uri: '//Bob', type: 'sr25519' });

      await setFree(1n); // the twin is broke
      await client.api.rpc('dev_newBlock', { count: 5 });
      await biller.billContract(c.contractId);
      expect((await client.getContract(c.contractId))?.state).toBe('gracePeriod');
      const locked = await waitFor('a contract event', () => events.find((e) => e.kind === 'locked' && e.contractId === c.contractId));
      expect(locked).toMatchObject({ kind: 'locked', nodeId: grid.nodes[0].id });
      await expect(u.updateNodeContract({ contractId: c.contractId, hash: 'eccbc87e4b5ce2fe28308fd9f2a7baf3' })).rejects.toThrow(/cannot pay the transaction fee.*fund account/);

      await setFree(1000n * TFT); // funded again; the next billing cycle lifts the grace period
      await expect(u.updateNodeContract({ contractId: c.contractId, hash: 'eccbc87e4b5ce2fe28308fd9f2a7baf3' })).rejects.toThrow(/CannotUpdateContractInGraceState.*fund the twin account/);
      const now = Number((await client.api.query.timestamp.now()).toJSON());
      await client.api.rpc('dev_timeTravel', now + 2 * 3600_000);
      await client.api.rpc('dev_newBlock', { count: 2 });
      await biller.billContract(c.contractId);
      expect((await client.getContract(c.contractId))?.state).toBe('created');
      await waitFor('a contract event', () => events.find((e) => e.kind === 'unlocked' && e.contractId === c.contractId));
    } finally {
      unsubscribe();
    }
  });

  it('stops by PID', async () => {
    const pid = chain.pid;
    await client.close();
    await chain.stop();
    expect(isAlive(pid)).toBe(false);
  });
});
