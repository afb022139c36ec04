/**
 * Machine health (issue 8; zos-protocol.md §4 result states, zosbase vm monitor): a zmachine whose machine was
 * OOM-killed or exited on its own turns `error` with the backend's reason, right after provisioning and on the
 * periodic check, without touching paused machines, other workloads, deletes or boot recovery.
 * The sim machine backend never dies on its own, so a thin wrapper over it lets the test end a machine.
 */
import { silentLogger } from '../../protocol/common/log';
import { systemClock } from '../../protocol/common/clock';
import type { MachineBackend, MachineStatus } from '../../node/backends/machine/machine';
import { createEngine, type Engine } from '../../node/engine/engine';
import { openStorage, type Storage } from '../../node/engine/storage';
import { buildDeployment, MemoryChain, NODE_ID, SAMPLE, signedPayload, simNode, tempDir, testIdentity } from './fixtures';

const alice = testIdentity(1);
const ALICE = 7;

/** The sim backend plus `end(id, …)`: the machine stops on its own, as an OOM kill or exit would. */
function dyingMachines(inner: MachineBackend) {
  const ended = new Map<string, MachineStatus>();
  const dieOnRun = new Map<string, Omit<MachineStatus, 'id'>>();
  const backend: MachineBackend = {
    ...inner,
    async run(spec) {
      const st = await inner.run(spec);
      const die = dieOnRun.get(spec.name);
      if (die) ended.set(spec.id, { id: spec.id, ...die });
      return st;
    },
    async status(id) {
      const st = await inner.status(id);
      return st && ended.has(id) ? ended.get(id) : st;
    },
    async remove(id) {
      ended.delete(id);
      await inner.remove(id);
    },
  };
  return {
    backend,
    end: (id: string, st: Omit<MachineStatus, 'id'>) => ended.set(id, { id, ...st }),
    /** Machines named `name` die as soon as they are started. */
    dieOnRun: (name: string, st: Omit<MachineStatus, 'id'>) => dieOnRun.set(name, st),
  };
}

interface Node {
  engine: Engine;
  storage: Storage;
  chain: MemoryChain;
  machines: ReturnType<typeof dyingMachines>;
  inner: MachineBackend;
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startNode(healthIntervalMs: number): Promise<Node> {
  const tmp = tempDir('tfg-health-');
  const chain = new MemoryChain();
  chain.twins.set(ALICE, alice.publicKey);
  const { facts, backends } = simNode(tmp.dir, chain);
  const inner = backends.machine;
  const machines = dyingMachines(inner);
  const all = { ...backends, machine: machines.backend };
  const node: Node = {
    engine: undefined as unknown as Engine,
    storage: undefined as unknown as Storage,
    chain,
    machines,
    inner,
    async restart() {
      await node.engine.close();
      node.storage.close();
      open();
      await node.engine.start();
      await node.engine.idle();
    },
    async close() {
      await node.engine.close();
      node.storage.close();
      tmp.remove();
    },
  };
  const open = () => {
    node.storage = openStorage(tmp.dir);
    node.engine = createEngine({ chain, backends: all, clock: systemClock, log: silentLogger }, { storage: node.storage, facts, healthIntervalMs });
  };
  open();
  await node.engine.start();
  return node;
}

const results = (engine: Engine, c: bigint) =>
  Object.fromEntries(
    (JSON.parse(engine.get(ALICE, c)) as { workloads: { name: string; result: { state: string; message: string } }[] }).workloads.map((w) => [
      w.name,
      w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state,
    ]),
  );

const changesOf = (engine: Engine, c: bigint) =>
  (JSON.parse(engine.changes(ALICE, c)) as { name: string; result: { state: string } }[]).map((w) => `${w.name}:${w.result.state}`);

async function deploy(node: Node, c: bigint, net = 'net'): Promise<string> {
  const vm = { ...SAMPLE.vm, data: { ...SAMPLE.vm.data, network: { ...SAMPLE.vm.data.network, interfaces: [{ network: net, ip: '10.20.2.5' }] } } };
  const d = buildDeployment(ALICE, c, [{ ...SAMPLE.net, name: net, data: { ...SAMPLE.net.data, wireguard_listen_port: 4500 + Number(c) } }, SAMPLE.disk, vm]);
  node.chain.contractFor(d, NODE_ID);
  await node.engine.deploy(ALICE, signedPayload(d, alice));
  await node.engine.idle();
  return `${ALICE}-${c}-${vm.name}`;
}

const OOM = 'machine exceeded its memory limit of 536870912 bytes and was killed';

describe('machine health: a machine that died on its own is reported in error', () => {
  let node: Node;
  beforeEach(async () => (node = await startNode(0)));
  afterEach(() => node.close());

  it('reports an OOM-killed machine as error with the backend reason, once; other workloads stay ok', async () => {
    const wid = await deploy(node, 1n);
    await node.engine.checkHealth();
    expect(results(node.engine, 1n)).toEqual({ net: 'ok', disk: 'ok', vm: 'ok' });
    const before = changesOf(node.engine, 1n);

    node.machines.end(wid, { state: 'oom-killed', exitCode: 137, reason: OOM });
    await node.engine.checkHealth();
    expect(results(node.engine, 1n)).toEqual({ net: 'ok', disk: 'ok', vm: `error: vm is not running: ${OOM}` });
    expect(changesOf(node.engine, 1n)).toEqual([...before, 'vm:error']);

    await node.engine.checkHealth();
    expect(changesOf(node.engine, 1n)).toEqual([...before, 'vm:error']);
    // an error workload no longer holds capacity nor counts as active
    expect(node.engine.statistics().users.workloads).toBe(2);
  });

  it('reports an exited machine with its exit code', async () => {
    const wid = await deploy(node, 2n);
    node.machines.end(wid, { state: 'exited', exitCode: 3, reason: 'machine exited with code 3' });
    await node.engine.checkHealth();
    expect(results(node.engine, 2n).vm).toBe('error: vm is not running: machine exited with code 3');
  });

  it('checks right after provisioning: a machine dead on start is error once the job is done', async () => {
    node.machines.dieOnRun('vm', { state: 'oom-killed', reason: OOM });
    await deploy(node, 3n);
    expect(results(node.engine, 3n)).toEqual({ net: 'ok', disk: 'ok', vm: `error: vm is not running: ${OOM}` });
  });

  it('leaves paused machines alone and a resumed machine ok', async () => {
    const wid = await deploy(node, 4n);
    node.engine.onContractEvent({ kind: 'locked', contractId: 4n });
    await node.engine.idle();
    expect((await node.inner.status(wid))?.state).toBe('paused');
    await node.engine.checkHealth();
    expect(results(node.engine, 4n).vm).toBe('paused: paused');

    // even a machine that ends while its workload is paused is not touched until it is resumed
    node.machines.end(wid, { state: 'exited', exitCode: 0, reason: 'machine exited with code 0' });
    await node.engine.checkHealth();
    expect(results(node.engine, 4n).vm).toBe('paused: paused');
  });

  it('resumes and keeps checking: a resumed machine that then dies turns error', async () => {
    const wid = await deploy(node, 5n);
    node.engine.onContractEvent({ kind: 'locked', contractId: 5n });
    await node.engine.idle();
    node.engine.onContractEvent({ kind: 'unlocked', contractId: 5n });
    await node.engine.idle();
    await node.engine.checkHealth();
    expect(results(node.engine, 5n).vm).toBe('ok');
    node.machines.end(wid, { state: 'oom-killed', reason: OOM });
    await node.engine.checkHealth();
    expect(results(node.engine, 5n).vm).toBe(`error: vm is not running: ${OOM}`);
  });

  it('deletes a deployment with a dead machine and removes the machine', async () => {
    const wid = await deploy(node, 6n);
    node.machines.end(wid, { state: 'oom-killed', reason: OOM });
    await node.engine.checkHealth();
    node.engine.onContractEvent({ kind: 'cancelled', contractId: 6n });
    await node.engine.idle();
    expect(node.storage.get(ALICE, 6n)).toBeUndefined();
    expect(await node.inner.status(wid)).toBeUndefined();
  });

  it('keeps the error across a node restart while boot recovery restores the rest', async () => {
    const wid = await deploy(node, 7n);
    const other = await deploy(node, 8n, 'net2');
    node.machines.end(wid, { state: 'oom-killed', reason: OOM });
    await node.engine.checkHealth();
    await node.restart();
    await node.engine.checkHealth();
    expect(results(node.engine, 7n)).toEqual({ net: 'ok', disk: 'ok', vm: `error: vm is not running: ${OOM}` });
    expect(results(node.engine, 8n)).toEqual({ net2: 'ok', disk: 'ok', vm: 'ok' });
    expect((await node.inner.status(other))?.state).toBe('running');
  });
});

describe('machine health: periodic check', () => {
  let node: Node;
  beforeAll(async () => (node = await startNode(50)));
  afterAll(() => node.close());

  it('finds a machine killed after provisioning without any request', async () => {
    const wid = await deploy(node, 9n);
    expect(results(node.engine, 9n).vm).toBe('ok');
    node.machines.end(wid, { state: 'oom-killed', reason: OOM });
    let vm = 'ok';
    for (let i = 0; i < 200 && vm === 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      vm = results(node.engine, 9n).vm;
    }
    expect(vm).toBe(`error: vm is not running: ${OOM}`);
  });
});
