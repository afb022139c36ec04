/** Storage: transaction log semantics, sharable names, jobs, clean-up (zos-protocol.md §1.3, §3.2, §3.8, §8.1). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStorage, type StoredDeployment, type StoredWorkload } from './storage';

const wl = (name: string, type = 'zmount', state: StoredWorkload['result']['state'] = 'init', version = 0): StoredWorkload => ({
  version,
  name,
  type,
  data: '{"size":1024}',
  metadata: '',
  description: '',
  result: { created: 1, state, message: '', data: null },
});
const dl = (twin: number, contract: bigint, workloads: StoredWorkload[]): StoredDeployment => ({
  version: 0,
  twinId: twin,
  contractId: contract,
  metadata: 'm',
  description: 'd',
  signatureRequirement: '{}',
  workloads,
});
const job = (twin: number, contract: bigint) => ({ op: 'provision', twinId: twin, contractId: contract, payload: '{}' });

describe('node storage', () => {
  it('creates a deployment with init transactions and its job in one go', () => {
    const s = openStorage(':memory:');
    s.create(dl(7, 12n, [wl('a'), wl('b')]), job(7, 12n), 100);
    expect(s.get(7, 12n)?.workloads.map((w) => [w.name, w.result.state])).toEqual([
      ['a', 'init'],
      ['b', 'init'],
    ]);
    expect(s.peekJob()).toMatchObject({ op: 'provision', twinId: 7, contractId: 12n });
    expect(s.ownerOf(12n)).toBe(7);
  });

  it('refuses an existing (twin, contract) with `exists` and writes nothing', () => {
    const s = openStorage(':memory:');
    s.create(dl(7, 12n, [wl('a')]), job(7, 12n), 100);
    expect(() => s.create(dl(7, 12n, [wl('x')]), job(7, 12n), 100)).toThrow(/^exists$/);
    expect(s.pendingJobs()).toHaveLength(1);
  });

  it('refuses duplicate names and sharable-name conflicts with the node texts, atomically', () => {
    const s = openStorage(':memory:');
    expect(() => s.create(dl(7, 1n, [wl('a'), wl('a')]), job(7, 1n), 1)).toThrow('workload with same name already exists in deployment: exists');
    expect(s.get(7, 1n)).toBeUndefined();
    expect(s.pendingJobs()).toHaveLength(0);
    s.create(dl(7, 2n, [wl('net', 'network')]), job(7, 2n), 1);
    expect(() => s.create(dl(7, 3n, [wl('net', 'network')]), job(7, 3n), 1)).toThrow("global workload with the same name 'net' exists: conflict");
    // another twin may use the same name
    s.create(dl(8, 4n, [wl('net', 'network')]), job(8, 4n), 1);
    expect(s.sharable(7, 'net')).toBe(2n);
  });

  it('shows the last non-unchanged transaction and drops deleted workloads from the active set', () => {
    const s = openStorage(':memory:');
    s.create(dl(7, 1n, [wl('a'), wl('n', 'network')]), job(7, 1n), 1);
    s.transaction(7, 1n, wl('a', 'zmount', 'ok'));
    s.transaction(7, 1n, { ...wl('a', 'zmount', 'unchanged', 1), data: '{"size":1}' });
    expect(s.get(7, 1n)?.workloads[0]).toMatchObject({ name: 'a', version: 0, result: { state: 'ok' } });
    s.transaction(7, 1n, wl('n', 'network', 'deleted'));
    expect(s.get(7, 1n)?.workloads.map((w) => w.name)).toEqual(['a']);
    expect(s.sharable(7, 'n')).toBeUndefined();
    expect(s.changes(7, 1n)?.map((w) => `${w.name}:${w.result.state}`)).toEqual(['a:init', 'n:init', 'a:ok', 'a:unchanged', 'n:deleted']);
  });

  it('updates version and requirement with the job, or says which lookup failed', () => {
    const s = openStorage(':memory:');
    expect(() => s.updateDeployment(7, 1n, { version: 1, signatureRequirement: '{}', metadata: '', description: '' }, job(7, 1n))).toThrow('twin not found: deployment does not exist');
    s.create(dl(7, 1n, [wl('a')]), job(7, 1n), 1);
    expect(() => s.updateDeployment(7, 2n, { version: 1, signatureRequirement: '{}', metadata: '', description: '' }, job(7, 2n))).toThrow('deployment not found: deployment does not exist');
    s.updateDeployment(7, 1n, { version: 1, signatureRequirement: '{"x":1}', metadata: 'M', description: 'D' }, job(7, 1n));
    expect(s.get(7, 1n)).toMatchObject({ version: 1, signatureRequirement: '{"x":1}', metadata: 'M', description: 'D' });
    expect(s.pendingJobs()).toHaveLength(2);
  });

  it('keeps jobs FIFO and survives reopening the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-store-'));
    try {
      const s = openStorage(dir);
      s.create(dl(7, 1n, [wl('a')]), job(7, 1n), 1);
      s.enqueue({ op: 'pause', twinId: 7, contractId: 1n, payload: '{}' });
      s.close();
      const r = openStorage(dir);
      expect(r.pendingJobs().map((j) => j.op)).toEqual(['provision', 'pause']);
      r.finishJob(r.peekJob()!.id);
      expect(r.peekJob()?.op).toBe('pause');
      expect(r.get(7, 1n)?.workloads).toHaveLength(1);
      r.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('purges only deployments that are empty or all deleted and have no pending job', () => {
    const s = openStorage(':memory:');
    s.create(dl(7, 1n, [wl('a')]), job(7, 1n), 1);
    s.create(dl(7, 2n, [wl('b')]), job(7, 2n), 1);
    s.create(dl(7, 3n, [wl('c')]), job(7, 3n), 1);
    for (const j of s.pendingJobs()) s.finishJob(j.id);
    s.transaction(7, 1n, wl('a', 'zmount', 'deleted'));
    s.transaction(7, 2n, wl('b', 'zmount', 'error'));
    s.create(dl(8, 4n, []), job(8, 4n), 1);
    expect(s.cleanDeleted()).toBe(1);
    expect(s.get(7, 1n)).toBeUndefined();
    expect(s.get(7, 2n)).toBeDefined();
    expect(s.get(7, 3n)).toBeDefined();
    expect(s.get(8, 4n)).toBeDefined(); // its job is still queued
  });
});
