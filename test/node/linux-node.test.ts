/**
 * The engine on the real Linux backends (backend: linux, root): a deployment with a disk, a volume, a private
 * network (netns + bridge + wireguard-go) and a zdb namespace reaches ok with real resources behind it, and a
 * contract cancel removes them. zos-protocol.md §3.3, §3.7, §6.4, §6.6; machine.md.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { systemClock } from '../../protocol/common/clock';
import { silentLogger } from '../../protocol/common/log';
import { createEngine, type Engine } from '../../node/engine/engine';
import { openStorage, type Storage } from '../../node/engine/storage';
import type { Backends } from '../../node/engine/deps';
import { createLinuxNodeBackends, factsFrom } from '../../node/runtime';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, FARMER_TWIN, MemoryChain, NODE_ID, SAMPLE, signedPayload, simConfig, tempDir, testIdentity } from './fixtures';

const alice = testIdentity(1);
const ALICE = 7;

describeWithTools(['ip', 'wireguard-go', 'mkfs.ext4', 'losetup'], { root: true })('node engine on Linux backends', () => {
  const prefix = `t${(process.pid % 46656).toString(36)}`;
  const hostNetns = `${prefix}host`;
  let engine: Engine;
  let storage: Storage;
  let backends: Backends;
  let chain: MemoryChain;
  let tmp: { dir: string; remove(): void };

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', hostNetns]);
    execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'lo', 'up']);
    tmp = tempDir('tfg-linux-node-');
    chain = new MemoryChain();
    chain.twins.set(ALICE, alice.publicKey);
    const config = simConfig(tmp.dir, {
      backend: 'linux',
      linux: { prefix, hostNetns },
      zdb: { port: 0, addresses: ['127.0.0.1'] },
      gateway: { listenHost: '127.0.0.1', httpPort: 0, httpsPort: 0 },
      qsfs: { metricsPort: 0 },
    });
    backends = await createLinuxNodeBackends(config, chain, silentLogger);
    storage = openStorage(tmp.dir);
    engine = createEngine(
      { chain, backends, clock: systemClock, log: silentLogger },
      { storage, facts: factsFrom(config, { nodeId: NODE_ID, twinId: 2, farmerTwinId: FARMER_TWIN }) },
    );
    await engine.start();
  });

  afterAll(async () => {
    await engine?.close();
    storage?.close();
    if (backends) for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) await b.close().catch(() => undefined);
    try {
      execFileSync('ip', ['netns', 'del', hostNetns]);
    } catch {
      // already gone
    }
    tmp?.remove();
  });

  it('provisions disks, a network and a zdb for real, and removes them on cancel', async () => {
    const disk = { ...SAMPLE.disk, data: { size: 64 << 20 } };
    const vol = { ...SAMPLE.vol, data: { size: 32 << 20 } };
    const db = { ...SAMPLE.db, data: { ...SAMPLE.db.data, size: 16 << 20 } };
    const d = buildDeployment(ALICE, 50n, [disk, vol, SAMPLE.net, db]);
    chain.contractFor(d, NODE_ID);
    await engine.deploy(ALICE, signedPayload(d, alice));
    await engine.idle();
    const got = JSON.parse(engine.get(ALICE, 50n)) as { workloads: { name: string; result: { state: string; message: string; data: unknown } }[] };
    expect(Object.fromEntries(got.workloads.map((w) => [w.name, w.result.message || w.result.state]))).toEqual({ disk: 'ok', vol: 'ok', net: 'ok', db: 'ok' });
    const image = (await backends.storage.get(`${ALICE}-50-disk`))?.image;
    expect(image && fs.statSync(image).size).toBe(64 << 20);
    const nr = (await backends.network.list())[0];
    expect(execFileSync('ip', ['netns', 'list']).toString()).toContain(nr.netns);
    expect(got.workloads.find((w) => w.name === 'db')?.result.data).toMatchObject({ Namespace: `${ALICE}-50-db`, IPs: ['127.0.0.1'] });

    engine.onContractEvent({ kind: 'cancelled', contractId: 50n });
    await engine.idle();
    expect(() => engine.get(ALICE, 50n)).toThrow('deployment not found');
    expect(fs.existsSync(image ?? '/nonexistent')).toBe(false);
    expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(nr.netns);
    expect(await backends.zdb.list()).toEqual([]);
  });
});
