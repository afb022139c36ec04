/**
 * The engine on the real Linux backends (backend: linux, root): a deployment with a disk, a volume, a private
 * network (netns + bridge + wireguard-go) and a zdb namespace reaches ok with real resources behind it, and a
 * contract cancel removes them. zos-protocol.md §3.3, §3.7, §6.4, §6.6; machine.md.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import type { Engine } from '../../node/engine/engine';
import type { Backends } from '../../node/engine/deps';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, type MemoryChain, NODE_ID, SAMPLE, signedPayload, startLinuxNode, testIdentity, type LinuxNodeHarness } from './fixtures';

const alice = testIdentity(1);
const ALICE = 7;

describeWithTools(['ip', 'wireguard-go', 'mkfs.ext4', 'losetup'], { root: true })('node engine on Linux backends', () => {
  let node: LinuxNodeHarness;
  let engine: Engine;
  let backends: Backends;
  let chain: MemoryChain;

  beforeAll(async () => {
    node = await startLinuxNode('t', 'tfg-linux-node-', { [ALICE]: alice });
    ({ engine, backends, chain } = node);
  });

  afterAll(async () => {
    await node?.close();
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
