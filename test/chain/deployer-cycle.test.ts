/**
 * The deployer's whole TFChain cycle against the run's shared local chain (issue 3, rmb-tfchain.md §B):
 * twin, farm, nodes, node contract create → update → cancel, name and rent contracts, a batch of 10 with ids
 * mapped back. Errors: errors.test.ts; concurrency: concurrency.test.ts.
 * Every file makes its own farm, nodes and twins from fresh keys.
 * @module
 */
import { randomBytes, createHash } from 'crypto';
import { bootstrapGrid, TFT, type BootstrappedGrid } from '../../local/chain';
import type { ChainClient, ContractEvent } from '../../protocol/chain';
import { cryptoReady, identityFromSeed, type Identity } from '../../protocol/common/identity';
import { connectTestChain, expectChainError, freshAccount, workerFunderUri, type TestAccount } from '../helpers/chain';
import { waitFor } from '../helpers/wait-for';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const tag = randomBytes(4).toString('hex');
const hash = (s: string) => md5(`${tag}-${s}`);

describe('TFChain deployer cycle on the local chain', () => {
  let chain: ChainClient;
  let user: TestAccount;
  let other: TestAccount;
  let ids: { farmer: Identity; node1: Identity; node2: Identity };
  let grid: BootstrappedGrid;
  let node1: number;
  let node2: number;
  const events: ContractEvent[] = [];
  let unsubscribe: () => void = () => undefined;
  const farmName = `farm_${tag}`;
  const farmIps = [1, 2, 3].map((i) => ({ ip: `185.16.${i}.10/24`, gw: `185.16.${i}.1` }));

  const spec = () => ({
    funder: workerFunderUri(),
    balance: 100n * TFT,
    farms: [{ name: farmName, farmer: ids.farmer, publicIps: farmIps }],
    nodes: [
      {
        farm: farmName,
        signer: ids.node1,
        relay: 'localhost',
        resources: { hru: 2n << 40n, sru: 1n << 40n, cru: 8n, mru: 32n << 30n },
        publicConfig: { ip4: { ip: '185.69.166.50/24', gw: '185.69.166.1' }, domain: `n1-${tag}.grid.local` },
      },
      { farm: farmName, signer: ids.node2, relay: 'localhost', resources: { hru: 0n, sru: 512n << 30n, cru: 4n, mru: 8n << 30n } },
    ],
  });

  beforeAll(async () => {
    await cryptoReady();
    chain = await connectTestChain();
    unsubscribe = await chain.subscribeContractEvents((e) => events.push(e));
    ids = {
      farmer: identityFromSeed(randomBytes(32), 'sr25519'),
      node1: identityFromSeed(randomBytes(32), 'ed25519'),
      node2: identityFromSeed(randomBytes(32), 'ed25519'),
    };
    grid = await bootstrapGrid(chain, spec());
    node1 = grid.nodes[0].id;
    node2 = grid.nodes[1].id;
    [user, other] = await Promise.all([freshAccount(chain, { balance: 500n * TFT }), freshAccount(chain, { balance: 50n * TFT })]);
    await Promise.all([user.chain.ensureTwin({ relay: 'localhost' }), other.chain.ensureTwin()]);
  });

  afterAll(async () => {
    unsubscribe();
    await chain?.close();
  });

  it('creates a twin once (terms accepted first), serves it as a directory entry, and updates its relay', async () => {
    const twinId = await user.chain.myTwinId();
    expect(twinId).toBeDefined();
    const twin = await chain.getTwin(twinId!);
    expect(twin.accountId).toBe(user.identity.address);
    expect(Buffer.from(twin.publicKey).equals(Buffer.from(user.identity.publicKey))).toBe(true);
    expect(twin.relay).toBe('localhost');
    expect((await user.chain.ensureTwin({ relay: 'localhost' })).id).toBe(twinId);
    const pk = Uint8Array.from([2, ...randomBytes(32)]);
    const updated = await user.chain.ensureTwin({ relay: 'relay.local_relay2.local', pk });
    expect(updated.id).toBe(twinId);
    expect(updated.relay).toBe('relay.local_relay2.local');
    expect(Buffer.from(updated.pk!).equals(Buffer.from(pk))).toBe(true);
    await user.chain.updateTwin({ relay: 'localhost' });
    expect((await chain.getTwin(twinId!)).relay).toBe('localhost');
    expect(await chain.findTwin(4_000_000)).toBeUndefined();
    await expect(chain.getTwin(4_000_000)).rejects.toThrow('twin 4000000 does not exist');
  });

  it('bootstraps farm, IP pool and nodes with resources and public config, and a rerun reuses them', async () => {
    const farm = await chain.getFarm(grid.farms[0].id);
    expect(farm?.name).toBe(farmName);
    expect(farm?.publicIps.map((p) => p.ip).sort()).toEqual(farmIps.map((p) => p.ip).sort());
    const n1 = await chain.getNode(node1);
    expect(n1?.farmId).toBe(farm?.id);
    expect(n1?.twinId).toBe(grid.nodes[0].twinId);
    expect(n1?.resources.cru).toBe(8n);
    expect(n1?.resources.mru).toBe(32n << 30n);
    expect(n1?.publicConfig?.ip4).toEqual({ ip: '185.69.166.50/24', gw: '185.69.166.1' });
    expect(n1?.publicConfig?.domain).toBe(`n1-${tag}.grid.local`);
    expect((await chain.getNode(node2))?.publicConfig).toBeNull();
    expect(await chain.getNodeIdByTwin(grid.nodes[1].twinId)).toBe(node2);
    expect((await chain.getNodesByFarm(farm!.id)).sort()).toEqual([node1, node2].sort());
    expect((await chain.getTwin(grid.nodes[0].twinId)).relay).toBe('localhost');
    const again = await bootstrapGrid(chain, spec());
    expect(again).toEqual(grid);
    expect((await chain.getFarm(farm!.id))?.publicIps).toHaveLength(3);
    expect(await chain.getNodeUsedCapacity(node1)).toEqual({ hru: 0n, sru: 0n, cru: 0n, mru: 0n });
  });

  it('creates a node contract with a public IP, updates its hash, and cancels it (IP freed, event seen)', async () => {
    const h1 = hash('vm-v0');
    const c = await user.chain.createNodeContract({ nodeId: node1, hash: h1, data: '{"version":3,"type":"vm","name":"web"}', publicIps: 1 });
    expect(c.type).toBe('node');
    expect(c.nodeId).toBe(node1);
    expect(c.deploymentHash).toBe(h1);
    expect(c.publicIps).toBe(1);
    expect(c.publicIpsList).toHaveLength(1);
    expect(farmIps.map((p) => p.ip)).toContain(c.publicIpsList[0].ip);
    expect(await chain.getContractIdByNodeHash(node1, h1)).toBe(c.contractId);
    expect(await chain.getNodeContracts(node1)).toContain(c.contractId);
    expect((await chain.getFreePublicIps(grid.farms[0].id)).map((p) => p.ip)).not.toContain(c.publicIpsList[0].ip);
    const read = await chain.getContract(c.contractId);
    expect(read).toMatchObject({ type: 'node', state: 'created', deploymentHash: h1, deploymentData: '{"version":3,"type":"vm","name":"web"}' });

    const h2 = hash('vm-v1');
    const u = await user.chain.updateNodeContract({ contractId: c.contractId, hash: h2, data: '{"version":3,"type":"vm","name":"web2"}' });
    expect(u.contractId).toBe(c.contractId);
    expect(u.deploymentHash).toBe(h2);
    expect(await chain.getContractIdByNodeHash(node1, h2)).toBe(c.contractId);
    expect(await chain.getContractIdByNodeHash(node1, h1)).toBeUndefined();

    await user.chain.cancelContract(c.contractId);
    const after = await chain.getContract(c.contractId);
    expect(after === undefined || after.state === 'deleted').toBe(true);
    expect(await chain.getNodeContracts(node1)).not.toContain(c.contractId);
    expect((await chain.getFreePublicIps(grid.farms[0].id)).map((p) => p.ip)).toContain(c.publicIpsList[0].ip);
    const ev = await waitFor('NodeContractCanceled event', () => events.find((e) => e.contractId === c.contractId));
    expect(ev).toMatchObject({ kind: 'cancelled', contractType: 'node', nodeId: node1 });
  });

  it('registers a name contract, finds it by name, refuses a duplicate, and cancels it', async () => {
    const name = `web-${tag}`;
    const c = await user.chain.createNameContract(name);
    expect(c).toMatchObject({ type: 'name', name, state: 'created' });
    expect(await chain.getContractIdByName(name)).toBe(c.contractId);
    const err = await expectChainError(other.chain.createNameContract(name), 'smartContractModule', 'NameExists');
    expect(err.message).toContain('choose another name');
    await user.chain.cancelContract(c.contractId);
    expect(await chain.getContractIdByName(name)).toBeUndefined();
    const ev = await waitFor('NameContractCanceled event', () => events.find((e) => e.contractId === c.contractId));
    expect(ev).toMatchObject({ kind: 'cancelled', contractType: 'name' });
  });

  it('rents a node: only the renter deploys there, and the rent contract cancels', async () => {
    const rent = await user.chain.createRentContract(node2);
    expect(rent).toMatchObject({ type: 'rent', nodeId: node2, state: 'created' });
    expect(await chain.getActiveRentContract(node2)).toBe(rent.contractId);
    const err = await expectChainError(other.chain.createNodeContract({ nodeId: node2, hash: hash('intruder') }), 'smartContractModule', 'NodeNotAvailableToDeploy');
    expect(err.context.fix).toMatch(/rent/);
    const mine = await user.chain.createNodeContract({ nodeId: node2, hash: hash('on-rented') });
    // node contracts first: a rent contract cancels only when the node has none left
    await user.chain.batch([
      { op: 'cancelContract', contractId: mine.contractId },
      { op: 'cancelContract', contractId: rent.contractId },
    ]);
    expect(await chain.getActiveRentContract(node2)).toBeUndefined();
    const ev = await waitFor('RentContractCanceled event', () => events.find((e) => e.contractId === rent.contractId));
    expect(ev).toMatchObject({ kind: 'cancelled', contractType: 'rent' });
  });

  it('sends 10 contract creations in one batchAll and maps each id back to its operation', async () => {
    const ops = Array.from({ length: 9 }, (_, i) => ({ op: 'createNodeContract' as const, nodeId: node1, hash: hash(`batch-${i}`), data: `{"name":"b${i}"}` }));
    const results = await user.chain.batch([...ops.slice(0, 4), { op: 'createNameContract', name: `batch-${tag}` }, ...ops.slice(4)]);
    expect(results).toHaveLength(10);
    expect(new Set(results.map((r) => r.contractId)).size).toBe(10);
    const nodeResults = results.filter((r) => r.op === 'createNodeContract');
    expect(nodeResults).toHaveLength(9);
    for (const [i, r] of nodeResults.entries()) {
      if (r.op !== 'createNodeContract') throw new Error('unreachable');
      expect(r.contract.deploymentHash).toBe(ops[i].hash);
      expect(await chain.getContractIdByNodeHash(node1, ops[i].hash)).toBe(r.contractId);
    }
    expect(results[4]).toMatchObject({ op: 'createNameContract', contract: { name: `batch-${tag}` } });
    expect(await chain.getContractIdByName(`batch-${tag}`)).toBe(results[4].contractId);
    // ids are assigned in call order
    const idsInOrder = results.map((r) => r.contractId);
    expect([...idsInOrder].sort((a, b) => a - b)).toEqual(idsInOrder);
    const mine = (await chain.getTwinActiveContracts((await user.chain.myTwinId())!)).map((c) => c.contractId);
    for (const id of idsInOrder) expect(mine).toContain(id);
    // cancel all of them in one batch, also mapped back
    const cancelled = await user.chain.batch(idsInOrder.map((contractId) => ({ op: 'cancelContract' as const, contractId })));
    expect(cancelled.map((r) => r.contractId)).toEqual(idsInOrder);
  });

  it('a batch that fails is all-or-nothing and names the pallet error', async () => {
    const h = hash('batch-dup');
    await expectChainError(
      user.chain.batch([
        { op: 'createNodeContract', nodeId: node1, hash: h },
        { op: 'createNodeContract', nodeId: node1, hash: h },
      ]),
      'smartContractModule',
      'ContractIsNotUnique',
    );
    expect(await chain.getContractIdByNodeHash(node1, h)).toBeUndefined();
  });
});
