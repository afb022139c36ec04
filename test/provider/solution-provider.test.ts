/**
 * Issue 15: `tfgrid:solutionProviderId` goes on every node contract the provider creates (TFChain
 * `create_node_contract`'s last argument, as grid_client's `solutionProviderId`). On the local chain (the real
 * TFChain runtime) an unknown id and an unapproved solution provider are refused with the pallet error, its meaning
 * and the fix; once the provider is approved (the council's `approve_solution_provider`, written here straight into
 * storage: the local chain has no sudo or council members) the contract stores the id.
 */
import { Keyring } from '@polkadot/keyring';
import { TxSubmitter } from '../../protocol/chain/tx';
import * as entry from '../../provider/dynamic-entry';
import { setGridFactory } from '../../provider/runtime';
import { up } from './entry-steps';
import { closeProviderProcess, startProviderGrid, uniqueTag, useProviderProcess, type GridUser, type ProviderGrid } from './provider-grid';

describe('solution provider id on node contracts', () => {
  let g: ProviderGrid;
  let user: GridUser;

  /** The provider process of `user` with `tfgrid:solutionProviderId` = `id` (config and connection alike). */
  async function withSolutionProvider(id: number | undefined): Promise<void> {
    const extra: Record<string, string> = id === undefined ? { 'tfgrid:coalesceMs': '0' } : { 'tfgrid:coalesceMs': '0', 'tfgrid:solutionProviderId': String(id) };
    await useProviderProcess(g, user, extra);
    setGridFactory(async () => g.connect(user, extra));
  }

  /** Registers a solution provider (unapproved, as every new one is) paying `user` 10%; returns its id. */
  async function registerSolutionProvider(): Promise<number> {
    const pair = new Keyring({ type: 'sr25519' }).addFromSeed(Buffer.from(user.seed.slice(2), 'hex'));
    const tx = g.chain.api.tx.smartContractModule.createSolutionProvider(`pulumi-tfgrid test ${uniqueTag()}`, 'https://example.com', [{ who: user.address, take: 10 }]);
    const { events } = await new TxSubmitter(g.chain.api).submit(tx, pair, 'create solution provider');
    const created = events.find((e) => e.event.section === 'smartContractModule' && e.event.method === 'SolutionProviderCreated');
    const sp = (created?.event.data[0].toJSON() ?? {}) as { solutionProviderId?: number };
    expect(sp.solutionProviderId).toBeGreaterThan(0);
    return Number(sp.solutionProviderId);
  }

  /** What `approve_solution_provider(id, true)` does: the stored provider with `approved` set. */
  async function approve(id: number): Promise<void> {
    const stored = (await g.chain.api.query.smartContractModule.solutionProviders(id)).toJSON() as Record<string, unknown>;
    await g.chain.api.rpc('dev_setStorage', { SmartContractModule: { SolutionProviders: [[[id], { ...stored, approved: true }]] } });
  }

  const disk = () => ({ node: g.nodeIds[0], deployment: `sp_${uniqueTag()}`, name: 'data', size: '1GiB' });

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    user = await g.user();
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  it('the chain takes the id as create_node_contract’s last argument', () => {
    const args = g.chain.api.tx.smartContractModule.createNodeContract.meta.args.map((a) => a.name.toString());
    expect(args).toEqual(['nodeId', 'deploymentHash', 'deploymentData', 'publicIps', 'solutionProviderId']);
  });

  it('refuses an unknown and an unapproved solution provider with the reason and the fix, and creates no contract', async () => {
    await withSolutionProvider(999_999);
    const unknown = await entry.check('ZMount', {}, disk());
    await expect(entry.create('ZMount', unknown.inputs as Record<string, unknown>)).rejects.toThrow(
      /unknown solution provider id.*NoSuchSolutionProvider|NoSuchSolutionProvider.*unknown solution provider id/s,
    );

    const id = await registerSolutionProvider();
    await withSolutionProvider(id);
    const c = await entry.check('ZMount', {}, disk());
    const err = await entry.create('ZMount', c.inputs as Record<string, unknown>).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/the solution provider is not approved/);
    expect(String((err as Error).message)).toMatch(/SolutionProviderNotApproved/);
    expect(await g.activeContracts(user)).toEqual([]);
  });

  it('stores an approved solution provider on the node contract; without the key the contract has none', async () => {
    const id = await registerSolutionProvider();
    await approve(id);
    await withSolutionProvider(id);
    const withSp = await up('ZMount', disk());
    const contract = await g.chain.getContract(Number(withSp.outs.contractId));
    expect(contract).toMatchObject({ type: 'node', solutionProviderId: id });

    await withSolutionProvider(undefined);
    const without = await up('ZMount', disk());
    expect(await g.chain.getContract(Number(without.outs.contractId))).toMatchObject({ type: 'node', solutionProviderId: null });

    await entry.delete('ZMount', without.id, without.outs);
    await withSolutionProvider(id);
    await entry.delete('ZMount', withSp.id, withSp.outs);
    expect(await g.activeContracts(user)).toEqual([]);
  });
});
