/**
 * Machine health and supervision (issue 8; zos-protocol.md §4 result states, zosbase vm monitor): a zmachine whose
 * machine was OOM-killed turns `error` with the backend's reason; one that exited is restarted in place up to the
 * restart limit within the window, then turns `error` listing the failures. Checked right after provisioning and on
 * the periodic check, without touching paused machines, other workloads, deletes or boot recovery.
 * The sim machine backend never dies on its own, so a thin wrapper over it lets the test end a machine.
 */
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../protocol/common/log';
import { systemClock, type Clock } from '../../protocol/common/clock';
import { ZosError } from '../../protocol/common/errors';
import type { MachineBackend, MachineSpec, MachineStatus } from '../../node/backends/machine/machine';
import { createEngine, type Engine, type EngineOptions } from '../../node/engine/engine';
import { parseNodeConfig } from '../../node/config';
import { openStorage, type Storage } from '../../node/engine/storage';
import { buildDeployment, MemoryChain, NODE_ID, SAMPLE, signedPayload, simNode, tempDir, testIdentity } from './fixtures';

const alice = testIdentity(1);
const ALICE = 7;

/**
 * The sim backend plus `end(id, …)`: the machine stops on its own, as an OOM kill or exit would. `restart` starts it
 * again (counted per id) unless `failRestart` is set; machines named in `dieOnRun` die again on every start;
 * `print` writes to a machine's console (empty otherwise).
 */
function dyingMachines(inner: MachineBackend) {
  const ended = new Map<string, MachineStatus>();
  const dieOnRun = new Map<string, Omit<MachineStatus, 'id'>>();
  const specs = new Map<string, MachineSpec>();
  const restarts = new Map<string, number>();
  const printed = new Map<string, string>();
  let failRestart: string | undefined;
  const dieIfAsked = (id: string) => {
    const die = dieOnRun.get(specs.get(id)?.name ?? '');
    if (die) ended.set(id, { id, ...die });
  };
  const backend: MachineBackend = {
    ...inner,
    async run(spec) {
      const st = await inner.run(spec);
      specs.set(spec.id, spec);
      dieIfAsked(spec.id);
      return st;
    },
    async status(id) {
      const st = await inner.status(id);
      return st && ended.has(id) ? ended.get(id) : st;
    },
    async restart(id) {
      if (failRestart) throw new ZosError(failRestart);
      const st = await inner.restart(id);
      ended.delete(id);
      restarts.set(id, (restarts.get(id) ?? 0) + 1);
      dieIfAsked(id);
      return st;
    },
    // what the machine printed, as the test says (the sim's own transition lines are not a console)
    logs: async (id) => printed.get(id) ?? '',
    async remove(id) {
      ended.delete(id);
      await inner.remove(id);
    },
  };
  return {
    backend,
    end: (id: string, st: Omit<MachineStatus, 'id'>) => ended.set(id, { id, ...st }),
    /** Appends to the machine's console. */
    print: (id: string, text: string) => printed.set(id, (printed.get(id) ?? '') + text),
    /** Machines named `name` die as soon as they are started (and restarted). */
    dieOnRun: (name: string, st: Omit<MachineStatus, 'id'>) => dieOnRun.set(name, st),
    restarts: (id: string) => restarts.get(id) ?? 0,
    specOf: (id: string) => specs.get(id),
    failRestart: (text: string | undefined) => (failRestart = text),
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

async function startNode(healthIntervalMs: number, more: Partial<EngineOptions> = {}, clock: Clock = systemClock): Promise<Node> {
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
    node.engine = createEngine({ chain, backends: all, clock, log: silentLogger }, { storage: node.storage, facts, healthIntervalMs, ...more });
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

const changesOf = (engine: Engine, c: bigint) => (JSON.parse(engine.changes(ALICE, c)) as { name: string; result: { state: string } }[]).map((w) => `${w.name}:${w.result.state}`);

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

  it('restarts an exited machine in place: the workload stays ok and no transaction is written', async () => {
    const wid = await deploy(node, 2n);
    const before = changesOf(node.engine, 2n);
    node.machines.end(wid, { state: 'exited', exitCode: 3, reason: 'machine exited with code 3' });
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(1);
    expect((await node.machines.backend.status(wid))?.state).toBe('running');
    expect(results(node.engine, 2n).vm).toBe('ok');
    expect(changesOf(node.engine, 2n)).toEqual(before);
  });

  it('does not restart an OOM-killed machine', async () => {
    const wid = await deploy(node, 10n);
    node.machines.end(wid, { state: 'oom-killed', reason: OOM });
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(0);
    expect(results(node.engine, 10n).vm).toBe(`error: vm is not running: ${OOM}`);
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

    // even a machine that ends while its workload is paused is not touched (nor restarted) until it is resumed
    node.machines.end(wid, { state: 'exited', exitCode: 0, reason: 'machine exited with code 0' });
    await node.engine.checkHealth();
    await node.engine.checkHealth();
    expect(results(node.engine, 4n).vm).toBe('paused: paused');
    expect(node.machines.restarts(wid)).toBe(0);
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

const EXIT1 = { state: 'exited' as const, exitCode: 1, reason: 'machine exited with code 1' };

describe('machine supervision: bounded restarts (zosbase vm monitor)', () => {
  let node: Node;
  afterEach(() => node.close());

  it('restarts a crashing machine 3 times by default, then fails it listing the 4 failures', async () => {
    node = await startNode(0);
    node.machines.dieOnRun('vm', EXIT1);
    const wid = await deploy(node, 1n); // dies on start: the pass right after provisioning restarts it once
    for (let i = 0; i < 5; i++) await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(3);
    const failures = Array(4).fill('machine exited with code 1').join('; ');
    expect(results(node.engine, 1n)).toEqual({
      net: 'ok',
      disk: 'ok',
      vm: `error: vm is not running: machine exited with code 1 (gave up after 3 restarts within 120s; failures: ${failures})`,
    });
    // an error workload is never restarted again
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(3);
  });

  it("ends the error with the last lines of the machine's console, where the cause of a dead entrypoint is", async () => {
    node = await startNode(0);
    node.machines.dieOnRun('vm', EXIT1);
    const wid = `${ALICE}-6-vm`;
    node.machines.print(wid, 'runc run failed: unable to start container process: exec: "/sbin/zinit": stat /sbin/zinit: no such file or directory\n');
    await deploy(node, 6n);
    for (let i = 0; i < 5; i++) {
      await node.engine.checkHealth();
      node.machines.print(wid, 'runc run failed: unable to start container process: exec: "/sbin/zinit": stat /sbin/zinit: no such file or directory\n');
    }
    expect(results(node.engine, 6n).vm).toBe(
      `error: vm is not running: machine exited with code 1 (gave up after 3 restarts within 120s; failures: ${Array(4).fill('machine exited with code 1').join('; ')}); ` +
        'console: runc run failed: unable to start container process: exec: "/sbin/zinit": stat /sbin/zinit: no such file or directory',
    );
  });

  it('takes the limit and window from the options', async () => {
    node = await startNode(0, { restart: { max: 1, windowMs: 30_000 } });
    node.machines.dieOnRun('vm', EXIT1);
    const wid = await deploy(node, 2n);
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(1);
    expect(results(node.engine, 2n).vm).toBe(
      'error: vm is not running: machine exited with code 1 (gave up after 1 restart within 30s; failures: machine exited with code 1; machine exited with code 1)',
    );
  });

  it('never restarts with max 0: the first exit is the error', async () => {
    node = await startNode(0, { restart: { max: 0 } });
    const wid = await deploy(node, 3n);
    node.machines.end(wid, { state: 'exited', exitCode: 3, reason: 'machine exited with code 3' });
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(0);
    expect(results(node.engine, 3n).vm).toBe('error: vm is not running: machine exited with code 3');
  });

  it('counts only the deaths within the window: spaced-out crashes are restarted forever', async () => {
    let now = 1_700_000_000_000;
    node = await startNode(0, { restart: { max: 2, windowMs: 60_000 } }, { now: () => now });
    const wid = await deploy(node, 4n);
    for (let i = 1; i <= 6; i++) {
      node.machines.end(wid, EXIT1);
      await node.engine.checkHealth();
      expect(node.machines.restarts(wid)).toBe(i);
      now += 31_000; // two deaths per 60 s window at most
    }
    expect(results(node.engine, 4n).vm).toBe('ok');
    // three within the window: the third is one too many
    for (let i = 0; i < 3; i++) {
      node.machines.end(wid, EXIT1);
      await node.engine.checkHealth();
      now += 1_000;
    }
    expect(results(node.engine, 4n).vm).toMatch(/^error: vm is not running: machine exited with code 1 \(gave up after 2 restarts within 60s; /);
  });

  it('fails the workload with the restart error when the machine cannot be started again', async () => {
    node = await startNode(0);
    const wid = await deploy(node, 5n);
    node.machines.failRestart("failed to start machine 'vm': no such file");
    node.machines.end(wid, EXIT1);
    await node.engine.checkHealth();
    expect(results(node.engine, 5n).vm).toBe("error: vm is not running: machine exited with code 1; restart failed: failed to start machine 'vm': no such file");
  });

  it('does not restart a deleted machine: a cancel removes it for good', async () => {
    node = await startNode(0);
    const wid = await deploy(node, 6n);
    node.machines.end(wid, EXIT1);
    node.engine.onContractEvent({ kind: 'cancelled', contractId: 6n });
    await node.engine.idle();
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(0);
    expect(await node.inner.status(wid)).toBeUndefined();
    expect(node.storage.get(ALICE, 6n)).toBeUndefined();
  });

  it('starts a machine that died while the node was down once: boot recovery first, then one restart', async () => {
    node = await startNode(0);
    const wid = await deploy(node, 7n);
    node.machines.end(wid, EXIT1);
    await node.restart(); // boot re-provisions (the machine is known: adopted as is), then the health pass runs
    await node.engine.checkHealth();
    await node.engine.checkHealth();
    expect(node.machines.restarts(wid)).toBe(1);
    expect(results(node.engine, 7n).vm).toBe('ok');
  });

  it('passes the root size (max(size, minimum), zos-protocol.md §6.3) to the machine', async () => {
    node = await startNode(0);
    const wid = await deploy(node, 8n);
    expect(node.machines.specOf(wid)?.rootSize).toBe(500n << 20n); // size 0, 1 cpu × 512 MiB: the 500 MiB minimum
  });
});

describe('node config: machine supervision fields', () => {
  const base = {
    dataDir: path.join(os.tmpdir(), 'x'),
    backend: 'sim',
    identity: { seed: '11'.repeat(32) },
    chain: { urls: ['ws://127.0.0.1:9944'] },
    relay: { urls: ['ws://127.0.0.1:8080'] },
    node: { id: 1, farmId: 1 },
    resources: {},
  };

  it.each([
    ['defaults to ZOS-like supervision', {}, { healthIntervalMs: 2000, maxRestarts: 3, restartWindowSeconds: 120 }],
    ['takes every field', { healthIntervalMs: 0, maxRestarts: 0, restartWindowSeconds: 30 }, { healthIntervalMs: 0, maxRestarts: 0, restartWindowSeconds: 30 }],
    ['fills the fields left out', { maxRestarts: 5 }, { healthIntervalMs: 2000, maxRestarts: 5, restartWindowSeconds: 120 }],
  ])('%s', (_title, machines, want) => {
    expect(parseNodeConfig({ ...base, machines }).machines).toEqual(want);
  });

  it.each([
    [{ healthIntervalMs: -1 }, 'config: machines.healthIntervalMs: Number must be greater than or equal to 0'],
    [{ restartWindowSeconds: 0 }, 'config: machines.restartWindowSeconds: Number must be greater than 0'],
    [{ maxRestart: 2 }, "config: machines: Unrecognized key(s) in object: 'maxRestart'"],
  ])('rejects %j', (machines, text) => {
    expect(() => parseNodeConfig({ ...base, machines })).toThrow(text);
  });
});
