/**
 * A node restart with a VM deployed (issue 8 "nothing lost on crash or retry"; zos-protocol.md §3.8 boot: active
 * workloads are provisioned again). The first engine stops without closing its backends (the process died); a new
 * engine with new Linux backends on the same data dir runs boot recovery: the zmachine stays `ok`, the same qemu
 * keeps running and answering on its private IP, and a later cancel removes it with its tap and directory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildVmKernelRootfs } from '../../local/hub/vm-flist';
import { silentLogger } from '../../protocol/common/log';
import { systemClock } from '../../protocol/common/clock';
import { isAlive } from '../../node/backends/machine/host-command';
import { machineNames } from '../../node/backends/machine/linux';
import { networkNames } from '../../node/backends/network/linux';
import { createEngine, type Engine } from '../../node/engine/engine';
import { openStorage, type Storage } from '../../node/engine/storage';
import { createLinuxNodeBackends, factsFrom } from '../../node/runtime';
import type { Backends } from '../../node/engine/deps';
import { describeWithTools } from '../helpers/require-tools';
import { fetchInNs } from '../helpers/netns-http';
import { buildDeployment, FARMER_TWIN, NODE_ID, SAMPLE, signedPayload, startLinuxNode, testIdentity, type LinuxNodeHarness } from './fixtures';

jest.setTimeout(180_000);

const alice = testIdentity(1);
const ALICE = 7;

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'wireguard-go', 'busybox', 'apt-get', 'dpkg', 'curl'], { root: true })('VM through an engine restart', () => {
  let node: LinuxNodeHarness;
  let after: { engine: Engine; storage: Storage; backends: Backends } | undefined;

  beforeAll(async () => {
    node = await startLinuxNode('q', 'tfg-vm-node-restart-', { [ALICE]: alice }, { healthIntervalMs: 0 });
  });
  afterAll(async () => {
    if (after) {
      await after.engine.close();
      after.storage.close();
      for (const b of [after.backends.machine, after.backends.gateway, after.backends.qsfs, after.backends.zdb, after.backends.network, after.backends.storage, after.backends.flist])
        await b.close().catch(() => undefined);
    }
    await node?.close();
  });

  const vmResult = (engine: Engine) => {
    const dl = JSON.parse(engine.get(ALICE, 70n)) as { workloads: { name: string; result: { state: string; message: string } }[] };
    const r = dl.workloads.find((w) => w.name === 'vm')?.result;
    return r?.message ? `${r.state}: ${r.message}` : String(r?.state);
  };

  it('keeps the VM ok, running (same qemu) and reachable after the engine restarts on the same data dir', async () => {
    const flist = await buildVmKernelRootfs(path.join(node.tmp.dir, 'vm-flist'));
    const net = { ...SAMPLE.net, data: { ...SAMPLE.net.data, wireguard_listen_port: 21000 + (process.pid % 1000) } };
    const vm = { ...SAMPLE.vm, data: { ...SAMPLE.vm.data, flist, mounts: [], env: {}, entrypoint: '', compute_capacity: { cpu: 1, memory: 256 << 20 } } };
    const d = buildDeployment(ALICE, 70n, [net, vm]);
    node.chain.contractFor(d, NODE_ID);
    await node.engine.deploy(ALICE, signedPayload(d, alice));
    await node.engine.idle();
    expect(vmResult(node.engine)).toBe('ok');
    const wid = `${ALICE}-70-vm`;
    const nrNetns = (await node.backends.network.list())[0].netns;
    expect(nrNetns.startsWith(`${node.prefix}-nr-`)).toBe(true);
    expect(await fetchInNs(nrNetns, '10.20.2.5', 90_000)).toBe('vm vm\n');
    const pid = (await node.backends.machine.status(wid))?.pid as number;
    expect(isAlive(pid)).toBe(true);

    // the node process "dies": its engine stops and its database closes; no backend is closed
    await node.engine.close();
    node.storage.close();
    const backends = await createLinuxNodeBackends(node.config, node.chain, silentLogger);
    const storage = openStorage(node.tmp.dir);
    const engine = createEngine(
      { chain: node.chain, backends, clock: systemClock, log: silentLogger },
      { storage, facts: factsFrom(node.config, { nodeId: NODE_ID, twinId: 2, farmerTwinId: FARMER_TWIN }), healthIntervalMs: 0 },
    );
    after = { engine, storage, backends };
    await engine.start();
    await engine.idle();

    expect(vmResult(engine)).toBe('ok');
    expect(await backends.machine.status(wid)).toMatchObject({ state: 'running', pid });
    expect(await fetchInNs(nrNetns, '10.20.2.5', 30_000)).toBe('vm vm\n');
    await engine.checkHealth();
    expect(vmResult(engine)).toBe('ok');
    expect((await backends.machine.status(wid))?.pid).toBe(pid);

    engine.onContractEvent({ kind: 'cancelled', contractId: 70n });
    await engine.idle();
    expect(isAlive(pid)).toBe(false);
    expect(await backends.machine.status(wid)).toBeUndefined();
    expect(fs.existsSync(path.join(node.tmp.dir, 'linux', 'machines', machineNames(node.prefix).dirName(wid)))).toBe(false);
    const links = fs.existsSync(`/run/netns/${nrNetns}`) ? execFileSync('ip', ['-n', nrNetns, '-o', 'link'], { encoding: 'utf8' }) : '';
    expect(links).not.toContain(networkNames(node.prefix).tap(wid));
  });
});
