/**
 * Engine behaviour with the sim backends and an in-memory chain view: every synchronous (§3.2) and
 * asynchronous (§3.3) error text, versioning (§3.4/§3.5), ownership, events (§3.7), capacity (§6.1).
 */
import { ZosError } from '../../protocol/common/errors';
import { buildDeployment, FARMER_TWIN, GIB, type MemoryChain, MIB, NODE_ID, SAMPLE, signedPayload, startSimNode, testIdentity, type WorkloadSpec } from '../../test/node/fixtures';
import type { Engine } from './engine';
import type { Storage } from './storage';

const alice = testIdentity(1);
const bob = testIdentity(2);
const ALICE = 7;
const BOB = 8;

interface Ctx {
  engine: Engine;
  chain: MemoryChain;
  storage: Storage;
  done(): Promise<void>;
}

async function setup(over: Partial<Record<string, unknown>> = {}): Promise<Ctx> {
  const h = await startSimNode('tfg-engine-', { [ALICE]: alice, [BOB]: bob }, over);
  return { engine: h.engine, chain: h.chain, storage: h.storage, done: h.close };
}

type Dl = ReturnType<typeof buildDeployment>;
const errorOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ZosError);
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
};

const states = (engine: Engine, twin: number, c: bigint) =>
  Object.fromEntries(
    (JSON.parse(engine.get(twin, c)) as { workloads: { name: string; result: { state: string; message: string } }[] }).workloads.map((w) => [
      w.name,
      w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state,
    ]),
  );

async function deployOk(ctx: Ctx, d: Dl, identity = alice): Promise<void> {
  ctx.chain.contractFor(d, NODE_ID);
  await ctx.engine.deploy(d.twin_id, signedPayload(d, identity));
  await ctx.engine.idle();
}

describe('node engine: synchronous checks (zos-protocol.md §3.2)', () => {
  let ctx: Ctx;
  beforeAll(async () => (ctx = await setup()));
  afterAll(() => ctx.done());

  const raw = (over: Record<string, unknown>, workloads: unknown[] = [{ version: 0, name: 'disk', type: 'zmount', data: { size: 1024 } }]) =>
    JSON.stringify({
      version: 0,
      twin_id: ALICE,
      contract_id: 1,
      metadata: '',
      description: '',
      expiration: 0,
      signature_requirement: { requests: [{ twin_id: ALICE, required: false, weight: 1 }], weight_required: 1, signatures: [] },
      workloads,
      ...over,
    });

  const rows: [string, () => string, string][] = [
    ['workload version above deployment', () => raw({}, [{ version: 1, name: 'disk', type: 'zmount', data: { size: 1 } }]), "workload 'disk' version '1' cannot be higher than deployment version '0'"],
    ['invalid name', () => raw({}, [{ version: 0, name: 'my-disk', type: 'zmount', data: { size: 1 } }]), "name 'my-disk' is invalid: unsupported character in workload name"],
    [
      'duplicate names',
      () =>
        raw({}, [
          { version: 0, name: 'a', type: 'zmount', data: { size: 1 } },
          { version: 0, name: 'a', type: 'zmount', data: { size: 1 } },
        ]),
      "multiple workloads with the same name 'a'",
    ],
    ['unknown type', () => raw({}, [{ version: 0, name: 'a', type: 'vm', data: {} }]), "invalid reservation type 'vm'"],
    ['invalid size', () => raw({}, [{ version: 0, name: 'a', type: 'zmount', data: { size: 0 } }]), 'invalid size'],
    ['twin mismatch', () => raw({ twin_id: BOB }), `twin id mismatch (deployment: ${BOB}, message: ${ALICE})`],
    ['missing signature', () => raw({}), "missing required signature for twin '7'"],
  ];
  it.each(rows)('rejects %s with the node text', async (_name, payload, text) => {
    expect(await errorOf(ctx.engine.deploy(ALICE, payload()))).toBe(text);
  });

  it('rejects a signature by the wrong key', async () => {
    const d = buildDeployment(ALICE, 2n, [SAMPLE.disk]);
    expect(await errorOf(ctx.engine.deploy(ALICE, signedPayload(d, bob)))).toBe('failed to verify signature');
  });

  it('rejects a twin the chain does not know', async () => {
    const d = buildDeployment(99, 2n, [SAMPLE.disk]);
    expect(await errorOf(ctx.engine.deploy(99, signedPayload(d, alice)))).toBe("failed to get public key for twin '99': twin 99 not found");
  });

  it('rejects a create whose version is not 0', async () => {
    const d = buildDeployment(ALICE, 3n, [SAMPLE.disk], { version: 1 });
    expect(await errorOf(ctx.engine.deploy(ALICE, signedPayload(d, alice)))).toBe('expected version to be 0 on deployment creation: invalid version');
  });

  it('rejects a second create of the same contract with `exists`', async () => {
    const d = buildDeployment(ALICE, 4n, [SAMPLE.disk]);
    await deployOk(ctx, d);
    expect(await errorOf(ctx.engine.deploy(ALICE, signedPayload(d, alice)))).toBe('exists');
  });

  it('rejects a network name the twin already uses in another deployment', async () => {
    await deployOk(ctx, buildDeployment(ALICE, 5n, [SAMPLE.net]));
    const d = buildDeployment(ALICE, 6n, [{ ...SAMPLE.net, data: { ...SAMPLE.net.data, wireguard_listen_port: 4600 } }]);
    expect(await errorOf(ctx.engine.deploy(ALICE, signedPayload(d, alice)))).toBe("global workload with the same name 'net' exists: conflict");
  });

  it('rejects a decode error with Go text', async () => {
    const msg = await errorOf(ctx.engine.deploy(ALICE, raw({ version: 'x' })));
    expect(msg).toBe('json: cannot unmarshal string into Go struct field Deployment.version of type uint32');
  });
});

describe('node engine: asynchronous chain validation (zos-protocol.md §3.3)', () => {
  let ctx: Ctx;
  beforeAll(async () => (ctx = await setup()));
  afterAll(() => ctx.done());

  it('reaches ok when contract, node and hash match', async () => {
    const d = buildDeployment(ALICE, 10n, [SAMPLE.disk, SAMPLE.vol]);
    await deployOk(ctx, d);
    expect(states(ctx.engine, ALICE, 10n)).toEqual({ disk: 'ok', vol: 'ok' });
    const got = JSON.parse(ctx.engine.get(ALICE, 10n)) as { workloads: { name: string; result: { data: unknown } }[] };
    expect(got.workloads.find((w) => w.name === 'disk')?.result.data).toEqual({ volume_id: `${ALICE}-10-disk` });
  });

  const failures: [string, (c: MemoryChain, d: Dl) => void, string][] = [
    ['an unknown contract', () => undefined, 'failed to get deployment contract: contract 11 not found'],
    ['a name contract', (c, d) => c.contracts.set(d.contract_id, { type: 'name', contractId: d.contract_id, twinId: ALICE, state: 'created' }), 'invalid contract type, expecting node contract'],
    ['another node', (c, d) => c.contractFor(d, NODE_ID + 1), 'invalid node address in contract'],
    ['a hash mismatch', (c, d) => c.contractFor(d, NODE_ID, { hash: '0'.repeat(32) }), 'contract hash does not match deployment hash'],
  ];
  it.each(failures)('marks every workload error for %s', async (_n, arrange, text) => {
    const d = buildDeployment(ALICE, 11n + BigInt(failures.findIndex((f) => f[2] === text)), [SAMPLE.disk, SAMPLE.vol]);
    arrange(ctx.chain, d);
    await ctx.engine.deploy(ALICE, signedPayload(d, alice));
    await ctx.engine.idle();
    expect(states(ctx.engine, ALICE, d.contract_id)).toEqual({
      disk: `error: ${text.replace('contract 11', `contract ${d.contract_id}`)}`,
      vol: `error: ${text.replace('contract 11', `contract ${d.contract_id}`)}`,
    });
    // the contract id stays used on this node (§3.3)
    expect(await errorOf(ctx.engine.deploy(ALICE, signedPayload(d, alice)))).toBe('exists');
  });

  it('refuses memory beyond the node with the §6.1 text', async () => {
    const big: WorkloadSpec = { ...SAMPLE.vm, data: { ...SAMPLE.vm.data, mounts: [], compute_capacity: { cpu: 1, memory: Number(8n * GIB) } } };
    const d = buildDeployment(
      ALICE,
      20n,
      [SAMPLE.net, big].map((w) => (w.name === 'net' ? { ...w, name: 'net' } : w)),
    );
    await deployOk(ctx, buildDeployment(ALICE, 19n, []));
    await deployOk(ctx, d);
    const used = 1n * GIB; // reserved
    expect(states(ctx.engine, ALICE, 20n).vm).toBe(`error: failed to satisfy required capacity: cannot fulfil required memory size ${8n * GIB} bytes out of usable ${8n * GIB - used} bytes`);
  });
});

describe('node engine: versions, ownership, events', () => {
  let ctx: Ctx;
  beforeAll(async () => (ctx = await setup()));
  afterAll(() => ctx.done());

  const v0 = buildDeployment(ALICE, 30n, [SAMPLE.disk, SAMPLE.net, SAMPLE.vm]);
  const update = async (next: Dl) => {
    ctx.chain.contractFor(next, NODE_ID);
    await ctx.engine.update(ALICE, signedPayload(next, alice));
    await ctx.engine.idle();
  };

  it('provisions every type in engine order and reports results', async () => {
    await deployOk(ctx, v0);
    expect(states(ctx.engine, ALICE, 30n)).toEqual({ disk: 'ok', net: 'ok', vm: 'ok' });
    const vm = (JSON.parse(ctx.engine.get(ALICE, 30n)) as { workloads: { name: string; result: { data: Record<string, string> } }[] }).workloads.find((w) => w.name === 'vm');
    expect(vm?.result.data).toMatchObject({ id: `${ALICE}-30-vm`, ip: '10.20.2.5', console_url: '10.20.2.0:20005' });
    const changes = JSON.parse(ctx.engine.changes(ALICE, 30n)) as { name: string; result: { state: string } }[];
    expect(changes.map((c) => `${c.name}:${c.result.state}`)).toEqual(['disk:init', 'net:init', 'vm:init', 'disk:ok', 'net:ok', 'vm:ok']);
  });

  it('hides a deployment from other twins', async () => {
    expect(() => ctx.engine.get(BOB, 30n)).toThrow('deployment not found');
    expect(() => ctx.engine.changes(BOB, 30n)).toThrow('deployment not found');
    expect(JSON.parse(ctx.engine.list(BOB))).toEqual([]);
    expect((JSON.parse(ctx.engine.list(ALICE)) as unknown[]).length).toBe(1);
    const d = buildDeployment(BOB, 30n, [SAMPLE.disk], { version: 1 });
    expect(await errorOf(ctx.engine.update(BOB, signedPayload(d, bob)))).toBe('twin not found: deployment does not exist');
  });

  it('rejects update versions and non-updatable types with the node texts', async () => {
    const skip = buildDeployment(
      ALICE,
      30n,
      [SAMPLE.disk, SAMPLE.net, SAMPLE.vm].map((w) => ({ ...w, version: 0 })),
      { version: 2 },
    );
    expect(await errorOf(ctx.engine.update(ALICE, signedPayload(skip, alice)))).toBe('expecting deployment version 1, got 2: upgrade validation error');
    const vm = buildDeployment(
      ALICE,
      30n,
      [
        { ...SAMPLE.disk, version: 0 },
        { ...SAMPLE.net, version: 0 },
        { ...SAMPLE.vm, version: 1 },
      ],
      { version: 1 },
    );
    expect(await errorOf(ctx.engine.update(ALICE, signedPayload(vm, alice)))).toBe("workload 'zmachine' does not support upgrade: upgrade validation error");
    const other = buildDeployment(ALICE, 31n, [SAMPLE.disk], { version: 1 });
    expect(await errorOf(ctx.engine.update(ALICE, signedPayload(other, alice)))).toBe('deployment not found: deployment does not exist');
  });

  it('keeps a mounted disk when asked to grow it (unchanged), and adds and removes workloads', async () => {
    const v1 = buildDeployment(
      ALICE,
      30n,
      [
        { ...SAMPLE.disk, version: 1, data: { size: Number(2n * GIB) } },
        { ...SAMPLE.net, version: 0 },
        { ...SAMPLE.vm, version: 0 },
        { ...SAMPLE.db, version: 1 },
      ],
      { version: 1 },
    );
    await update(v1);
    expect(states(ctx.engine, ALICE, 30n)).toEqual({ disk: 'ok', net: 'ok', vm: 'ok', db: 'ok' });
    const disk = (JSON.parse(ctx.engine.get(ALICE, 30n)) as { workloads: { name: string; version: number; data: { size: number } }[] }).workloads.find((w) => w.name === 'disk');
    expect(disk).toMatchObject({ version: 0, data: { size: Number(GIB) } });
    const ch = JSON.parse(ctx.engine.changes(ALICE, 30n)) as { name: string; result: { state: string; message: string } }[];
    expect(ch.filter((c) => c.name === 'disk').pop()?.result).toMatchObject({ state: 'unchanged', message: 'disk is mounted, please delete the VM first' });

    const v2 = buildDeployment(
      ALICE,
      30n,
      [
        { ...SAMPLE.disk, version: 2, data: { size: Number(2n * GIB) } },
        { ...SAMPLE.net, version: 0 },
        { ...SAMPLE.db, version: 1 },
      ],
      { version: 2 },
    );
    await update(v2);
    expect(states(ctx.engine, ALICE, 30n)).toEqual({ disk: 'ok', net: 'ok', db: 'ok' });
    const ch2 = JSON.parse(ctx.engine.changes(ALICE, 30n)) as { name: string; result: { state: string; message: string } }[];
    expect(ch2.filter((c) => c.name === 'vm').pop()?.result).toMatchObject({ state: 'deleted', message: 'deleted by an update' });
    const grown = (JSON.parse(ctx.engine.get(ALICE, 30n)) as { workloads: { name: string; version: number; data: { size: number } }[] }).workloads.find((w) => w.name === 'disk');
    expect(grown).toMatchObject({ version: 2, data: { size: Number(2n * GIB) } });

    const v3 = buildDeployment(
      ALICE,
      30n,
      [
        { ...SAMPLE.disk, version: 3, data: { size: Number(GIB) } },
        { ...SAMPLE.net, version: 0 },
        { ...SAMPLE.db, version: 1 },
      ],
      { version: 3 },
    );
    await update(v3);
    const ch3 = JSON.parse(ctx.engine.changes(ALICE, 30n)) as { name: string; result: { state: string; message: string } }[];
    expect(ch3.filter((c) => c.name === 'disk').pop()?.result).toMatchObject({ state: 'unchanged', message: 'not safe to shrink a disk' });
  });

  it('pauses on lock, resumes on unlock, deletes on cancel', async () => {
    ctx.engine.onContractEvent({ kind: 'locked', contractId: 30n });
    await ctx.engine.idle();
    expect(states(ctx.engine, ALICE, 30n)).toEqual({ disk: 'paused: paused', net: 'paused: paused', db: 'paused: paused' });
    ctx.engine.onContractEvent({ kind: 'unlocked', contractId: 30n });
    await ctx.engine.idle();
    expect(states(ctx.engine, ALICE, 30n)).toEqual({ disk: 'ok', net: 'ok', db: 'ok' });
    ctx.engine.onContractEvent({ kind: 'cancelled', contractId: 30n });
    await ctx.engine.idle();
    expect(() => ctx.engine.get(ALICE, 30n)).toThrow('deployment not found');
    // the network name is free again
    await deployOk(ctx, buildDeployment(ALICE, 32n, [SAMPLE.net]));
    expect(states(ctx.engine, ALICE, 32n)).toEqual({ net: 'ok' });
  });

  it('removes deployments whose contract is gone at sync', async () => {
    ctx.chain.contracts.delete(32n);
    await ctx.engine.sync();
    await ctx.engine.idle();
    expect(() => ctx.engine.get(ALICE, 32n)).toThrow('deployment not found');
  });

  it('counts ok workloads in statistics', async () => {
    await deployOk(ctx, buildDeployment(ALICE, 33n, [SAMPLE.disk, SAMPLE.db]));
    const s = ctx.engine.statistics();
    expect(s.used.sru).toBe(GIB);
    expect(s.used.hru).toBe(GIB);
    expect(s.used.mru).toBe(GIB); // reserved
    expect(s.users.workloads).toBeGreaterThanOrEqual(2);
    void FARMER_TWIN;
    void MIB;
  });
});
