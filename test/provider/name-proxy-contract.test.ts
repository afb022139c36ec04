/**
 * NameProxy and its name contract when the contract changes behind Pulumi's back (zos-protocol.md §1.5, §6.5;
 * provider/resources/name-proxy.ts), through `provider/dynamic-entry` as the shims call it, on the provider grid
 * (local chain, our relay, sim node runtimes) plus a second gateway node of this file's own:
 * - a name contract cancelled outside Pulumi (a user on the dashboard): `diff` asks for a replacement, the delete
 *   treats the already-gone contract as done (and logs it) instead of failing with `ContractNotExists`, and the new
 *   NameProxy reserves the name again in its own transaction;
 * - a name borrowed by a NameProxy on another gateway node: deleting the NameProxy that reserved it keeps the
 *   contract (the log names the borrower); once the name is gone the borrower is replaced and reserves it.
 */
import { createLineLogger } from '../../protocol/common/log';
import { identityFromSecret } from '../../protocol/common/identity';
import type { ChainClient } from '../../protocol/chain';
import { parseNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import * as entry from '../../provider/dynamic-entry';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { bootstrapTestGrid, testChainUrl } from '../helpers/chain';
import { tempDir } from '../node/fixtures';
import { up, type Props } from './entry-steps';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(120_000);

describe('NameProxy when its name contract changes outside Pulumi', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let userChain: ChainClient;
  let n1: number;
  let gw2: number;
  let gw2Runtime: NodeRuntime | undefined;
  let gw2Dir: { dir: string; remove(): void } | undefined;
  const log: string[] = [];

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    n1 = g.nodeIds[0];
    user = await g.user();
    userChain = await g.chain.withSigner(identityFromSecret(user.seed, user.keyType));
    // A second gateway node (its own farm; bootstrap gives its first node a public config and domain).
    const extra = await bootstrapTestGrid(g.chain, { nodes: 1 });
    const n = extra.nodes[0];
    gw2 = n.id;
    gw2Dir = tempDir(`tfg-np2-${extra.tag}-`);
    gw2Runtime = await createNodeRuntime(
      parseNodeConfig({
        dataDir: gw2Dir.dir,
        backend: 'sim',
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [await testChainUrl()] },
        relay: { urls: [g.relayUrl] },
        node: { id: n.id, farmId: extra.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        publicConfig: { ipv4: '185.70.0.50/24', gw4: '185.70.0.1', domain: `n1-${extra.tag}.grid.local` },
      }),
      { chain: g.chain },
    );
    await gw2Runtime.peer.ready();
    await resetRuntime();
    setGridFactory(async () => {
      const conn = await g.connect(user);
      return { deps: { ...conn.deps, log: createLineLogger((line) => log.push(line)) }, close: () => conn.close() };
    });
    const cfg = g.providerConfig(user, { 'tfgrid:coalesceMs': '50' });
    entry.configure((k) => cfg[k]);
  });

  afterAll(async () => {
    await resetRuntime();
    setGridFactory(undefined);
    await gw2Runtime?.close();
    gw2Dir?.remove();
    await g?.close();
  });

  const proxy = (node: number, deployment: string, subdomain: string): Props => ({ node, deployment, name: 'web', subdomain, backends: ['http://198.51.100.2:8080'] });
  const checked = async (outs: Props, raw: Props) => (await entry.check('NameProxy', outs, raw)).inputs as Props;
  const nameContractState = async (id: number) => (await g.chain.getContract(id))?.state;

  it('replaces a NameProxy whose name contract was cancelled, treating the cancelled contract as done', async () => {
    const sub = `np${uniqueTag()}`;
    const raw = proxy(n1, `np-${sub}`, sub);
    const gw = await up('NameProxy', raw);
    expect(gw.outs).toMatchObject({ state: 'ok', ownsNameContract: true });
    const first = Number(gw.outs.nameContractId);
    expect(await entry.diff('NameProxy', gw.id, gw.outs, await checked(gw.outs, raw))).toMatchObject({ changes: false });

    await userChain.cancelContract(first);
    expect(await entry.diff('NameProxy', gw.id, gw.outs, await checked(gw.outs, raw))).toEqual({ changes: true, replaces: ['subdomain'], deleteBeforeReplace: true });

    // delete-before-replace: the cancelled contract is not cancelled again (it would fail with ContractNotExists)
    await entry.delete('NameProxy', gw.id, gw.outs);
    expect(log.some((l) => l.includes('name contract already gone (cancelled outside Pulumi): nothing to cancel') && l.includes(`"nameContract":${first}`))).toBe(true);
    const again = await entry.create('NameProxy', await checked({}, raw));
    const outs = again.outs as Props;
    expect(outs).toMatchObject({ state: 'ok', ownsNameContract: true, fqdn: `${sub}.${g.domain}` });
    expect(Number(outs.nameContractId)).not.toBe(first);
    expect(await g.chain.getContractIdByName(sub)).toBe(Number(outs.nameContractId));
    expect(await entry.diff('NameProxy', again.id, outs, await checked(outs, raw))).toMatchObject({ changes: false });

    await entry.delete('NameProxy', again.id, outs);
    expect(await nameContractState(Number(outs.nameContractId))).toBeUndefined();
  });

  it('keeps a name another gateway still serves when its owner goes, and replaces the borrower once the name is gone', async () => {
    const sub = `nb${uniqueTag()}`;
    const owner = await up('NameProxy', proxy(n1, `o-${sub}`, sub));
    const borrowerRaw = proxy(gw2, `b-${sub}`, sub);
    const borrower = await up('NameProxy', borrowerRaw);
    const id = Number(owner.outs.nameContractId);
    expect(owner.outs).toMatchObject({ state: 'ok', ownsNameContract: true });
    expect(borrower.outs).toMatchObject({ state: 'ok', ownsNameContract: false, nameContractId: id });

    await entry.delete('NameProxy', owner.id, owner.outs);
    expect(await nameContractState(id)).toBe('created');
    expect(log.some((l) => l.includes(`name contract kept: NameProxy workload "web" on node ${gw2} (contract ${Number(borrower.outs.contractId)}) still serves the name`))).toBe(true);
    expect(await entry.diff('NameProxy', borrower.id, borrower.outs, await checked(borrower.outs, borrowerRaw))).toMatchObject({ changes: false });

    // the name goes anyway (the dashboard): the borrower is replaced and reserves it for itself
    await userChain.cancelContract(id);
    expect(await entry.diff('NameProxy', borrower.id, borrower.outs, await checked(borrower.outs, borrowerRaw))).toMatchObject({ replaces: ['subdomain'], deleteBeforeReplace: true });
    await entry.delete('NameProxy', borrower.id, borrower.outs);
    const mine = (await entry.create('NameProxy', await checked({}, borrowerRaw))).outs as Props;
    expect(mine).toMatchObject({ state: 'ok', ownsNameContract: true });
    expect(await nameContractState(Number(mine.nameContractId))).toBe('created');
    await entry.delete('NameProxy', `${gw2}/b-${sub}/web`, mine);
    expect(await nameContractState(Number(mine.nameContractId))).toBeUndefined();
  });
});
