/**
 * One zmount mounted by three containers on the real Linux backends (issue 18.9; machine.md runc, loop + ext4). ZOS
 * attaches a disk to every machine that mounts it (zosbase primitives/vm `vmMounts`, no check). Here the containers
 * share the one loop mount of the disk: replacing one machine must neither unmount it under the others nor make the
 * new machine mount the image a second time (two ext4 mounts of one image through two loop devices corrupt it).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import type { Engine } from '../../node/engine/engine';
import type { Backends } from '../../node/engine/deps';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, type MemoryChain, NODE_ID, SAMPLE, signedPayload, startLinuxNode, testIdentity, type LinuxNodeHarness, type WorkloadSpec } from './fixtures';

jest.setTimeout(120_000);

const alice = testIdentity(4);
const ALICE = 12;
const CONTRACT = 61n;

describeWithTools(['runc', 'ip', 'wireguard-go', 'busybox', 'mkfs.ext4', 'losetup'], { root: true })('a disk shared by three containers on Linux backends', () => {
  let node: LinuxNodeHarness;
  let engine: Engine;
  let backends: Backends;
  let chain: MemoryChain;
  let flist: string;

  beforeAll(async () => {
    node = await startLinuxNode('d', 'tfg-shared-disk-', { [ALICE]: alice }, { healthIntervalMs: 0 });
    ({ engine, backends, chain } = node);
    flist = await buildBaseRootfs(path.join(node.tmp.dir, 'base'));
  });

  afterAll(async () => {
    await node?.close();
  });

  const net = { ...SAMPLE.net, name: 'sharenet', data: { ...SAMPLE.net.data, wireguard_listen_port: 28000 + (process.pid % 1000) } };
  const disk = { ...SAMPLE.disk, data: { size: 64 << 20 } };
  /** A container that records its name in the shared disk, then stays up. */
  const machine = (name: string, octet: number, version = 0): WorkloadSpec => ({
    ...SAMPLE.vm,
    name,
    version,
    data: {
      ...SAMPLE.vm.data,
      flist,
      env: {},
      network: { ...SAMPLE.vm.data.network, interfaces: [{ network: net.name, ip: `10.20.2.${octet}` }] },
      mounts: [{ name: 'disk', mountpoint: '/data' }],
      entrypoint: `/bin/sh -c "echo ${name} >> /data/who; sleep 3600"`,
      compute_capacity: { cpu: 1, memory: 256 << 20 },
    },
  });

  async function apply(version: number, workloads: WorkloadSpec[]): Promise<Record<string, string>> {
    const d = buildDeployment(ALICE, CONTRACT, workloads, { version });
    chain.contractFor(d, NODE_ID);
    if (version === 0) await engine.deploy(ALICE, signedPayload(d, alice));
    else await engine.update(ALICE, signedPayload(d, alice));
    await engine.idle();
    const got = JSON.parse(engine.get(ALICE, CONTRACT)) as { workloads: { name: string; result: { state: string; message: string } }[] };
    return Object.fromEntries(got.workloads.map((w) => [w.name, w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state]));
  }

  /** Loop devices backing the disk image (one while it is mounted once). */
  const loops = (image: string) => execFileSync('losetup', ['-j', image]).toString().split('\n').filter(Boolean);
  const whoWrote = async (mountpoint: string) => {
    for (let i = 0; i < 50; i++) {
      const text = fs.existsSync(path.join(mountpoint, 'who')) ? fs.readFileSync(path.join(mountpoint, 'who'), 'utf8') : '';
      if (text.split('\n').filter(Boolean).length >= 3) return text.split('\n').filter(Boolean).sort();
      await new Promise((r) => setTimeout(r, 200));
    }
    return [];
  };

  it('is accepted, and replacing one machine keeps one mount of the disk for all of them', async () => {
    const stay = [disk, net].map((w) => ({ ...w, version: 0 }));
    expect(await apply(0, [...stay, machine('a', 5), machine('b', 6), machine('c', 7)])).toEqual({ disk: 'ok', sharenet: 'ok', a: 'ok', b: 'ok', c: 'ok' });
    const info = await backends.storage.get(`${ALICE}-${CONTRACT}-disk`);
    expect(info?.mountpoint).toBeDefined();
    expect(await whoWrote(info!.mountpoint!)).toEqual(['a', 'b', 'c']);
    expect(loops(info!.image)).toHaveLength(1);

    // a delete-before-replace of "a": removed in one version, added again in the next
    expect(await apply(1, [...stay, machine('b', 6), machine('c', 7)])).toEqual({ disk: 'ok', sharenet: 'ok', b: 'ok', c: 'ok' });
    expect((await backends.storage.get(`${ALICE}-${CONTRACT}-disk`))?.mountpoint).toBe(info!.mountpoint);
    expect(await apply(2, [...stay, machine('b', 6), machine('c', 7), machine('a', 8, 2)])).toEqual({ disk: 'ok', sharenet: 'ok', a: 'ok', b: 'ok', c: 'ok' });
    expect(loops(info!.image)).toHaveLength(1);
    const who = fs.readFileSync(path.join(info!.mountpoint!, 'who'), 'utf8').split('\n').filter(Boolean).sort();
    expect(who).toEqual(['a', 'a', 'b', 'c']);
    for (const name of ['b', 'c']) expect((await backends.machine.status(`${ALICE}-${CONTRACT}-${name}`))?.state).toBe('running');

    engine.onContractEvent({ kind: 'cancelled', contractId: CONTRACT });
    await engine.idle();
    expect(fs.existsSync(info!.image)).toBe(false);
  });
});
