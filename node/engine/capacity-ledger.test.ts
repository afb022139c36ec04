/**
 * The capacity ledger on its own (it was an inner closure of createEngine before issue 17): which results count,
 * and the §6.1 memory check's verdict and exact ZOS text.
 */
import { createCapacityLedger } from './capacity-ledger';
import type { NodeFacts } from './deps';
import { ENGINE_ERRORS } from './engine-errors';
import type { ResultState, StoredWorkload } from './storage';

const MIB = 1024n * 1024n;
const zero = { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n };
const facts: NodeFacts = {
  nodeId: 1,
  farmId: 1,
  twinId: 2,
  farmerTwinId: 3,
  adminTwins: [],
  total: { ...zero, cru: 4n, mru: 1024n * MIB },
  reserved: { ...zero, mru: 256n * MIB },
  location: { longitude: 0, latitude: 0, continent: '', country_name: '', country_code: '', city_name: '' },
  version: { zos: 'v3', zinit: 'v0' },
  hypervisor: 'sim',
  interfaces: { zos: [], ygg: [] },
  hasIpv6: false,
};

/** A stored zmachine with result `state`; its typed data comes separately (`vmData`), as the engine passes it. */
const vm = (name: string, state: ResultState): StoredWorkload => ({
  version: 0,
  name,
  type: 'zmachine',
  data: '{}',
  metadata: '',
  description: '',
  result: { created: 0, state, message: '', data: null },
});
const vmData = (mib: bigint) => ({ size: 0n, compute_capacity: { cpu: 1, memory: mib * MIB } });

describe('capacity ledger', () => {
  it.each<[ResultState, bigint]>([
    ['ok', 512n * MIB],
    ['paused', 512n * MIB],
    ['error', 0n],
    ['deleted', 0n],
    ['init', 0n],
  ])('counts a workload whose result is %s as %d bytes of memory', (state, mru) => {
    const ledger = createCapacityLedger(facts);
    ledger.recount(7, 1n, vm('a', state), vmData(512n));
    expect(ledger.used().mru).toBe(mru);
  });

  it('keeps the old count on unchanged, frees it on error, and forgets a deleted deployment', () => {
    const ledger = createCapacityLedger(facts);
    ledger.recount(7, 1n, vm('a', 'ok'), vmData(512n));
    ledger.recount(7, 1n, vm('b', 'ok'), vmData(128n));
    ledger.recount(7, 1n, vm('a', 'unchanged'), vmData(64n));
    expect(ledger.usedBy(7, 1n, ['a']).mru).toBe(512n * MIB);
    ledger.recount(7, 1n, vm('a', 'error'), vmData(512n));
    expect(ledger.used().mru).toBe(128n * MIB);
    ledger.forget(7, 1n, ['a', 'b']);
    expect(ledger.used().mru).toBe(0n);
  });

  it.each<[string, bigint, bigint, string | undefined]>([
    ['fits next to what is counted', 256n, 0n, undefined],
    ['is refused past total - reserved - counted', 513n, 0n, ENGINE_ERRORS.memory(513n * MIB, 512n * MIB)],
    ['uses host memory when it exceeds reservations', 256n, 1024n * MIB, ENGINE_ERRORS.memory(256n * MIB, 0n)],
  ])('memory check (§6.1): with a 256 MiB workload counted, a request that %s', (_, needMib, actual, text) => {
    const ledger = createCapacityLedger(facts, () => actual);
    ledger.recount(7, 1n, vm('a', 'ok'), vmData(256n));
    expect(ledger.memoryCheck('7-2-new', needMib * MIB)).toBe(text);
    // its own count is not held against a workload re-checked under its id
    expect(ledger.memoryCheck('7-1-a', 768n * MIB)).toBe(actual > 768n * MIB ? ENGINE_ERRORS.memory(768n * MIB, 0n) : undefined);
  });
});
