/**
 * Each readable TFChain error a deployer meets (issue 3, rmb-tfchain.md §B2): the ChainError names the call,
 * the pallet and error, and the fix; bad input is refused as InputError before anything is sent.
 * @module
 */
import { randomBytes, createHash } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import { InputError } from '../../protocol/common/errors';
import { bootstrapTestGrid, connectTestChain, expectChainError, freshAccounts, TFT, type TestAccount, type TestGrid } from '../helpers/chain';

const tag = randomBytes(4).toString('hex');
const hash = (s: string) => createHash('md5').update(`${tag}-${s}`).digest('hex');

describe('readable TFChain errors', () => {
  let chain: ChainClient;
  let user: TestAccount;
  let other: TestAccount;
  let fresh: TestAccount[];
  let grid: TestGrid;
  let node1: number;

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1, publicIps: 3 });
    node1 = grid.nodes[0].id;
    let rest: TestAccount[];
    [user, other, ...rest] = await freshAccounts(chain, 5, { balance: 200n * TFT });
    fresh = rest;
    await Promise.all([user.chain.ensureTwin({ relay: 'localhost' }), other.chain.ensureTwin()]);
  });

  afterAll(async () => {
    await chain?.close();
  });
  it('ContractIsNotUnique names the hash and says to change the deployment', async () => {
    const h = hash('dup');
    const c = await user.chain.createNodeContract({ nodeId: node1, hash: h });
    const err = await expectChainError(user.chain.createNodeContract({ nodeId: node1, hash: h }), 'smartContractModule', 'ContractIsNotUnique');
    expect(err.message).toContain(`node ${node1}`);
    expect(err.message).toContain(h);
    expect(err.context.fix).toMatch(/hash must differ/);
    await user.chain.cancelContract(c.contractId);
  });

  it('FarmHasNotEnoughPublicIPs when asking for more IPs than the farm has', async () => {
    const err = await expectChainError(user.chain.createNodeContract({ nodeId: node1, hash: hash('ips'), publicIps: 5 }), 'smartContractModule', 'FarmHasNotEnoughPublicIPs');
    expect(err.message).toContain('5 public IPs');
  });

  it('FarmHasNotEnoughPublicIPsFree when the pool is reserved', async () => {
    const taken = await user.chain.createNodeContract({ nodeId: node1, hash: hash('all-ips'), publicIps: 3 });
    await expectChainError(user.chain.createNodeContract({ nodeId: node1, hash: hash('one-more'), publicIps: 1 }), 'smartContractModule', 'FarmHasNotEnoughPublicIPsFree');
    await user.chain.cancelContract(taken.contractId);
    expect(await chain.getFreePublicIps(grid.farmId)).toHaveLength(3);
  });

  it('NodeNotExists for an unknown node', async () => {
    const err = await expectChainError(user.chain.createNodeContract({ nodeId: 999_999, hash: hash('nonode') }), 'smartContractModule', 'NodeNotExists');
    expect(err.message).toContain('node 999999');
  });

  it('TwinNotAuthorizedToCancelContract when another twin cancels', async () => {
    const c = await user.chain.createNodeContract({ nodeId: node1, hash: hash('owned') });
    const err = await expectChainError(other.chain.cancelContract(c.contractId), 'smartContractModule', 'TwinNotAuthorizedToCancelContract');
    expect(err.message).toContain(`cancel contract ${c.contractId}`);
    await user.chain.cancelContract(c.contractId);
  });

  it('UserDidNotSignTermsAndConditions when creating a twin without accepting the terms', async () => {
    const err = await expectChainError(fresh[0].chain.createTwin({ relay: 'localhost' }), 'tfgridModule', 'UserDidNotSignTermsAndConditions');
    expect(err.context.fix).toContain('userAcceptTc');
  });

  it('InvalidRelayAddress for a relay given as a URL', async () => {
    await fresh[1].chain.acceptTerms();
    await expectChainError(fresh[1].chain.createTwin({ relay: 'ws://127.0.0.1:8080' }), 'tfgridModule', 'InvalidRelayAddress');
  });

  it('TwinNotExists when an account without a twin deploys', async () => {
    await expectChainError(fresh[2].chain.createNodeContract({ nodeId: node1, hash: hash('notwin') }), 'smartContractModule', 'TwinNotExists');
  });

  it.each([
    ['an uppercase hash', { hash: 'C4CA4238A0B923820DCC509A6F75849B' }, 'hash'],
    ['a 0x-prefixed hash', { hash: '0xc4ca4238a0b923820dcc509a6f75849b' }, 'hash'],
    ['data over 512 bytes', { hash: 'c4ca4238a0b923820dcc509a6f75849b', data: 'x'.repeat(513) }, 'data'],
  ])('rejects %s before sending anything', async (_, o, path) => {
    const err = await user.chain.createNodeContract({ nodeId: node1, ...o }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).context.path).toBe(path);
  });

  it('rejects an invalid name contract name before sending', async () => {
    await expect(user.chain.createNameContract('Bad Name')).rejects.toThrow(/\[a-z0-9_-\]/);
  });
});
