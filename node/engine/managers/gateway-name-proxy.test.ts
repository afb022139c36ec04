/**
 * The name-proxy manager's periodic name-contract check (zos-protocol.md §6.5; zosbase `nameContractsValidator`),
 * through the engine's health poll on the sim gateway and an in-memory chain, with a hand-driven clock: one chain
 * lookup per workload per interval; a contract that is gone, not Created/GracePeriod, or held by another twin
 * stops the domain being served and fails the workload with the ZOS text; a lookup that fails changes nothing.
 */
import { silentLogger } from '../../../protocol/common/log';
import type { Clock } from '../../../protocol/common/clock';
import { createEngine, type Engine } from '../engine';
import { openStorage, type Storage } from '../storage';
import { MANAGERS } from './index';
import { createGatewayNameProxyManager, DEFAULT_NAME_CONTRACT_CHECK_MS, nameContractRefusal } from './gateway-name-proxy';
import type { Backends } from '../deps';
import { buildDeployment, MemoryChain, NODE_ID, SAMPLE, signedPayload, simNode, tempDir, testIdentity } from '../../../test/node/fixtures';

const alice = testIdentity(1);
const ALICE = 7;
const EVERY = 30_000;
const FQDN = 'web.gw11.grid.test';

class CountingChain extends MemoryChain {
  lookups = 0;
  fail: string | undefined;
  override async nameContract(name: string) {
    this.lookups++;
    if (this.fail) throw new Error(this.fail);
    return super.nameContract(name);
  }
}

describe('gateway-name-proxy: the name contract is checked again while the proxy is served', () => {
  let tmp: { dir: string; remove(): void };
  let chain: CountingChain;
  let storage: Storage;
  let engine: Engine;
  let backends: Backends;
  let t: number;
  const clock: Clock = { now: () => t };

  beforeEach(async () => {
    t = 1_700_000_000_000;
    tmp = tempDir('tfg-gwname-');
    chain = new CountingChain();
    chain.twins.set(ALICE, alice.publicKey);
    chain.names.set('web', { twinId: ALICE, state: 'Created' });
    backends = simNode(tmp.dir, chain).backends;
    storage = openStorage(tmp.dir);
    const managers = { ...MANAGERS, 'gateway-name-proxy': createGatewayNameProxyManager({ checkIntervalMs: EVERY, clock }) };
    engine = createEngine({ chain, backends, clock, log: silentLogger }, { storage, facts: simNode(tmp.dir, chain).facts, managers, healthIntervalMs: 0 });
    await engine.start();
    const d = buildDeployment(ALICE, 1n, [SAMPLE.web]);
    chain.contractFor(d, NODE_ID);
    await engine.deploy(ALICE, signedPayload(d, alice));
    await engine.idle();
  });

  afterEach(async () => {
    await engine.close();
    storage.close();
    tmp.remove();
  });

  const result = () => (JSON.parse(engine.get(ALICE, 1n)) as { workloads: { result: { state: string; message: string } }[] }).workloads[0].result;
  const served = () => backends.gateway.routes().some((r) => r.fqdn === FQDN);

  it('keeps serving while the contract holds, with one chain lookup per interval', async () => {
    expect(result()).toMatchObject({ state: 'ok' });
    const afterProvision = chain.lookups;
    for (let i = 0; i < 3; i++) await engine.checkHealth();
    expect(chain.lookups).toBe(afterProvision);
    t += EVERY;
    await engine.checkHealth();
    await engine.checkHealth();
    expect(chain.lookups).toBe(afterProvision + 1);
    expect(result()).toMatchObject({ state: 'ok', message: '' });
    expect(served()).toBe(true);
  });

  it.each([
    ['cancelled (no name contract any more)', () => chain.names.delete('web'), 'failed to verify name contract: a name contract with the given name must be reserved first'],
    [
      'no longer Created or GracePeriod',
      () => chain.names.set('web', { twinId: ALICE, state: 'Deleted' }),
      'failed to verify name contract: the name contract must be in Created or GracePeriod state',
    ],
    ['now held by another twin', () => chain.names.set('web', { twinId: 99, state: 'Created' }), 'failed to verify name contract: twin id mismatch'],
  ])('stops serving and fails the workload when the contract is %s', async (_what, change, text) => {
    change();
    await engine.checkHealth();
    expect(result()).toMatchObject({ state: 'ok' });
    expect(served()).toBe(true);

    t += EVERY;
    await engine.checkHealth();
    expect(result()).toEqual(expect.objectContaining({ state: 'error', message: text }));
    expect(served()).toBe(false);
    const lookups = chain.lookups;
    t += EVERY;
    await engine.checkHealth();
    expect(chain.lookups).toBe(lookups);
  });

  it('keeps serving a proxy whose lookup fails (chain unreachable), and asks again only after the interval', async () => {
    chain.fail = 'chain unreachable';
    t += EVERY;
    await engine.checkHealth();
    const lookups = chain.lookups;
    await engine.checkHealth();
    expect(chain.lookups).toBe(lookups);
    expect(result()).toMatchObject({ state: 'ok' });
    expect(served()).toBe(true);

    chain.fail = undefined;
    chain.names.delete('web');
    t += EVERY;
    await engine.checkHealth();
    expect(result()).toMatchObject({ state: 'error' });
  });

  it('lets the failed workload go with its cancelled deployment', async () => {
    chain.names.delete('web');
    t += EVERY;
    await engine.checkHealth();
    engine.onContractEvent({ kind: 'cancelled', contractId: 1n });
    await engine.idle();
    expect(() => engine.get(ALICE, 1n)).toThrow('deployment not found');
    expect(served()).toBe(false);
  });
});

describe('nameContractRefusal', () => {
  it.each([
    [{ exists: false } as const, 'failed to verify name contract: a name contract with the given name must be reserved first'],
    [{ exists: true, twinId: 7, state: 'Deleted' } as const, 'failed to verify name contract: the name contract must be in Created or GracePeriod state'],
    [{ exists: true, twinId: 8, state: 'Created' } as const, 'failed to verify name contract: twin id mismatch'],
    [{ exists: true, twinId: 7, state: 'GracePeriod' } as const, undefined],
    [{ exists: true, twinId: 7, state: 'Created' } as const, undefined],
  ])('%j for twin 7 → %s', (status, text) => {
    expect(nameContractRefusal(status, 7)).toBe(text);
  });

  it('defaults to ZOS validationPeriod (one hour)', () => {
    expect(DEFAULT_NAME_CONTRACT_CHECK_MS).toBe(3_600_000);
  });
});
