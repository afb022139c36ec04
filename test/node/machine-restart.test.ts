/**
 * Machine supervision on the real Linux backends (issue 8; zosbase vm monitor; machine.md runc, loop + ext4): the
 * engine restarts a container whose entrypoint exits, on the same root (each start appends to a file in it), up
 * to the limit, then fails the workload listing the failures; a paused machine is not restarted until it is
 * resumed; a deleted machine stays gone. Every zmachine's writable root is a RootSize ext4 image (§6.3).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import { machineNames } from '../../node/backends/machine/linux';
import type { Engine } from '../../node/engine/engine';
import type { Backends } from '../../node/engine/deps';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, type MemoryChain, NODE_ID, SAMPLE, signedPayload, startLinuxNode, testIdentity, type LinuxNodeHarness } from './fixtures';

jest.setTimeout(60_000);

const alice = testIdentity(1);
const ALICE = 7;

/** Each start appends a line to /starts on the machine's root and prints how many there are. */
const counting = (then: string) => `/bin/sh -c "echo start >> /starts; echo starts=$(wc -l < /starts); ${then}"`;

describeWithTools(['runc', 'ip', 'wireguard-go', 'busybox', 'mkfs.ext4', 'losetup'], { root: true })('machine supervision on Linux backends', () => {
  let node: LinuxNodeHarness;
  let engine: Engine;
  let backends: Backends;
  let chain: MemoryChain;
  let tmp: { dir: string; remove(): void };
  let prefix: string;
  let flist: string;

  beforeAll(async () => {
    // no periodic check: the test drives every health pass
    node = await startLinuxNode('s', 'tfg-restart-node-', { [ALICE]: alice }, { healthIntervalMs: 0 });
    ({ engine, backends, chain, tmp, prefix } = node);
    flist = await buildBaseRootfs(path.join(tmp.dir, 'base'));
  });

  afterAll(async () => {
    await node?.close();
  });

  const state = (c: bigint) => {
    const dl = JSON.parse(engine.get(ALICE, c)) as { workloads: { name: string; result: { state: string; message: string } }[] };
    const vm = dl.workloads.find((w) => w.name === 'vm')?.result;
    return vm?.message ? `${vm.state}: ${vm.message}` : String(vm?.state);
  };

  async function deploy(c: bigint, entrypoint: string): Promise<string> {
    // networks are shared by name within a twin: one per contract
    const net = { ...SAMPLE.net, name: `net${c}`, data: { ...SAMPLE.net.data, wireguard_listen_port: 27000 + (process.pid % 1000) + Number(c) } };
    const network = { ...SAMPLE.vm.data.network, interfaces: [{ network: net.name, ip: '10.20.2.5' }] };
    const vm = { ...SAMPLE.vm, data: { ...SAMPLE.vm.data, flist, network, mounts: [], env: {}, entrypoint, compute_capacity: { cpu: 1, memory: 256 << 20 } } };
    const d = buildDeployment(ALICE, c, [net, vm]);
    chain.contractFor(d, NODE_ID);
    await engine.deploy(ALICE, signedPayload(d, alice));
    await engine.idle();
    return `${ALICE}-${c}-vm`;
  }

  /** Health passes until the vm's state is not ok (or `passes` ran), waiting for the machine between them. */
  async function superviseUntilFailed(c: bigint, passes: number): Promise<string> {
    for (let i = 0; i < passes && state(c) === 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await engine.checkHealth();
    }
    return state(c);
  }

  const startsIn = async (wid: string) => (await backends.machine.logs(wid)).match(/starts=\d+/g) ?? [];

  it('restarts a container whose entrypoint exits 3 times on the same root, then fails it listing the 4 failures', async () => {
    const wid = await deploy(60n, counting('exit 1'));
    const final = await superviseUntilFailed(60n, 40);
    const failures = Array(4).fill('machine exited with code 1').join('; ');
    expect(final).toBe(`error: vm is not running: machine exited with code 1 (gave up after 3 restarts within 120s; failures: ${failures}); console: starts=1 | starts=2 | starts=3 | starts=4`);
    expect(await startsIn(wid)).toEqual(['starts=1', 'starts=2', 'starts=3', 'starts=4']);
    expect((await backends.machine.status(wid))?.restarts).toBe(3);
    // an error workload stays down
    await engine.checkHealth();
    expect((await backends.machine.status(wid))?.state).toBe('exited');
    expect(await startsIn(wid)).toHaveLength(4);
  });

  it("fails a machine whose entrypoint does not exist with runc's own text from its console", async () => {
    await deploy(63n, '/sbin/zinit');
    const final = await superviseUntilFailed(63n, 40);
    expect(final).toMatch(/^error: vm is not running: machine exited with code 1 \(gave up after 3 restarts within 120s; failures: [^)]*\); console: .*/);
    expect(final).toContain('stat /sbin/zinit: no such file or directory');
  });

  it('does not restart a paused machine; once resumed it is supervised again', async () => {
    const wid = await deploy(61n, counting('sleep 2; exit 1'));
    engine.onContractEvent({ kind: 'locked', contractId: 61n });
    await engine.idle();
    expect((await backends.machine.status(wid))?.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 3000)); // longer than the sleep: frozen, it cannot exit
    await engine.checkHealth();
    expect(state(61n)).toBe('paused: paused');
    expect(await startsIn(wid)).toEqual(['starts=1']);

    engine.onContractEvent({ kind: 'unlocked', contractId: 61n });
    await engine.idle();
    let starts: string[] = [];
    for (let i = 0; i < 40 && starts.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await engine.checkHealth();
      starts = await startsIn(wid);
    }
    expect(starts).toEqual(['starts=1', 'starts=2']);
    expect(state(61n)).toBe('ok');
  });

  it('leaves a deleted machine gone: no restart, no container, no root image', async () => {
    const wid = await deploy(62n, counting('exit 1'));
    engine.onContractEvent({ kind: 'cancelled', contractId: 62n });
    await engine.idle();
    await engine.checkHealth();
    await engine.checkHealth();
    expect(await backends.machine.status(wid)).toBeUndefined();
    const machinesDir = path.join(tmp.dir, 'linux', 'machines');
    const names = machineNames(prefix);
    const runcLeft = execFileSync('runc', ['--root', path.join(machinesDir, 'runc'), 'list', '-q'], { encoding: 'utf8' }).split('\n');
    expect(runcLeft).not.toContain(names.container(wid));
    expect(fs.existsSync(path.join(machinesDir, 'rootfs', `${names.dirName(wid)}.img`))).toBe(false);
    expect(fs.existsSync(path.join(machinesDir, names.dirName(wid)))).toBe(false);
    // the machines of the other contracts keep their root images until they are deleted
    expect(fs.existsSync(path.join(machinesDir, 'rootfs', `${names.dirName(`${ALICE}-60-vm`)}.img`))).toBe(true);
  });
});
