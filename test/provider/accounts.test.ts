/**
 * Several accounts in one program (issue 13): resources that name an `account` deploy with that twin, the others
 * with the stack's, through one provider process (`provider/dynamic-entry`) on the local chain, our relay and a
 * sim node. Both land in the same deployment group on the same node at once, yet each twin gets its own contract
 * (one connection and one coalescing coordinator per account); the chain shows each contract on its twin; delete
 * finds the twin from the state; a changed account replaces; a bad mnemonic is refused naming `account.mnemonic`,
 * never echoing it.
 */
import * as entry from '../../provider/dynamic-entry';
import { createGridConnection } from '../../provider/grid-connection';
import { up } from './entry-steps';
import { closeProviderProcess, startProviderGrid, uniqueTag, useProviderProcess, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(180_000);

describe('per-resource accounts through the provider on the local grid', () => {
  let g: ProviderGrid;
  let stackUser: GridUser;
  let second: GridUser;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    [stackUser, second] = [await g.user(), await g.user()];
    // One provider process whose connections follow each resource's config (the real factory, not one fixed user).
    await useProviderProcess(g, stackUser, { 'tfgrid:coalesceMs': '50' }, (config) => createGridConnection(config));
  }, 120_000);

  afterAll(() => closeProviderProcess(g));

  const twinOf = async (u: GridUser) => (await g.chain.getTwinIdByAccount(u.address))!;

  it("deploys each Zdb on its account's twin, in one program, and destroys both", async () => {
    const node = g.nodeIds[0];
    const deployment = `acc_${uniqueTag()}`;
    const account = { mnemonic: second.seed, network: 'testnet', keyType: 'sr25519' };
    const [a, b] = await Promise.all([up('Zdb', { node, deployment, name: 'db_stack', size: '1GiB' }), up('Zdb', { node, deployment, name: 'db_second', size: '1GiB', account })]);
    const [twinA, twinB] = [await twinOf(stackUser), await twinOf(second)];
    expect(twinA).not.toBe(twinB);
    expect(a.outs).toMatchObject({ twinId: twinA, state: 'ok' });
    expect(b.outs).toMatchObject({ twinId: twinB, state: 'ok' });
    // The same node and group, two twins: two contracts, each on the chain under its own twin.
    expect(a.outs.contractId).not.toBe(b.outs.contractId);
    expect((await g.chain.getContract(Number(a.outs.contractId)))?.twinId).toBe(twinA);
    expect((await g.chain.getContract(Number(b.outs.contractId)))?.twinId).toBe(twinB);
    expect(await g.activeContracts(stackUser)).toEqual([Number(a.outs.contractId)]);
    expect(await g.activeContracts(second)).toEqual([Number(b.outs.contractId)]);
    // A refresh asks the account's own twin's deployment.
    expect((await entry.read('Zdb', b.id, b.outs)).props).toMatchObject({ state: 'ok' });

    // Another account (or none) is another twin's contract: the preview says replace.
    const { account: _given, ...withoutAccount } = (await entry.check('Zdb', b.outs, { node, deployment, name: 'db_second', size: '1GiB' })).inputs as Record<string, unknown>;
    void _given;
    expect(await entry.diff('Zdb', b.id, b.outs, withoutAccount)).toMatchObject({ changes: true, replaces: ['account'] });
    expect(await entry.diff('Zdb', b.id, b.outs, { ...withoutAccount, account: { ...account, network: 'test' } })).toMatchObject({ changes: false });

    // Delete takes the twin from the state (the second twin's contract is cancelled by the second twin).
    await Promise.all([entry.delete('Zdb', a.id, a.outs), entry.delete('Zdb', b.id, b.outs)]);
    expect(await g.activeContracts(stackUser)).toEqual([]);
    expect(await g.activeContracts(second)).toEqual([]);
  });

  it('refuses a mnemonic that is not one at check, naming account.mnemonic and never echoing the words', async () => {
    const words = Array(12).fill('abandon').join(' '); // a BIP39 checksum error
    const c = await entry.check('Zdb', {}, { node: g.nodeIds[0], deployment: `bad_${uniqueTag()}`, name: 'db', size: '1GiB', account: { mnemonic: words } });
    expect(c.failures).toEqual([{ property: 'account.mnemonic', reason: expect.stringMatching(/account\.mnemonic is neither a valid BIP39 mnemonic nor a 32-byte hex seed; fix: /) }]);
    expect(JSON.stringify(c.failures)).not.toContain('abandon');
    await expect(entry.create('Zdb', c.inputs as Record<string, unknown>)).rejects.toThrow(/account\.mnemonic is neither/);
    await expect(entry.create('Zdb', c.inputs as Record<string, unknown>)).rejects.not.toThrow(/abandon/);
  });
});
