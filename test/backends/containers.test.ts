/**
 * Containers on the real backends together (zos-protocol.md §6.2–§6.4; issue 8 "Done when"): containers on two
 * nodes ping each other over WireGuard, a public IP serves a page to the outside, a memory limit kills its
 * container and the status says so, a disk's file survives a machine replacement.
 */
import { execFileSync, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import type { ResolvedFlist } from '../../node/backends/flist/flist';
import { createLinuxFlists } from '../../node/backends/flist/linux';
import { createLinuxMachines } from '../../node/backends/machine/linux';
import type { MachineBackend, MachineSpec } from '../../node/backends/machine/machine';
import { createLinuxStorage } from '../../node/backends/storage/linux';
import { describeWithTools } from '../helpers/require-tools';
import { makeTwoNodeNetwork } from './two-node-network';
import type { TwoNodeNetwork } from './two-node-network';

const MiB = 1n << 20n;

async function eventually(fn: () => Promise<boolean>, tries = 150): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describeWithTools(['runc', 'ip', 'wireguard-go', 'wg', 'busybox', 'losetup', 'mkfs.ext4', 'curl'], { root: true })('containers on the linux backends', () => {
  let dir: string;
  let grid: TwoNodeNetwork;
  let flist: ResolvedFlist;
  let machines: MachineBackend[];
  const spec = (id: string, over: Partial<MachineSpec>): MachineSpec => ({
    id,
    name: id.split('-').pop() as string,
    flist,
    cpu: 1,
    memory: 256n * MiB,
    entrypoint: '',
    env: {},
    mounts: [],
    ...over,
  });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-ct-'));
    grid = await makeTwoNodeNetwork('ct');
    flist = await createLinuxFlists({ dir: path.join(dir, 'flists') }).resolve(await buildBaseRootfs(path.join(dir, 'base')));
    machines = grid.nodes.map((n) => createLinuxMachines({ prefix: n.prefix, dir: path.join(dir, n.prefix) }));
  });
  afterAll(async () => {
    for (const m of machines ?? []) await m.close();
    await grid?.teardown();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs a container on each node and they ping each other over WireGuard', async () => {
    const [a, b] = grid.nodes;
    const nicA = await a.backend.attach({ netId: grid.netId, machine: '7-1-ca', ip: '10.20.2.10' });
    const nicB = await b.backend.attach({ netId: grid.netId, machine: '7-2-cb', ip: '10.20.3.10' });
    const loop = (to: string) => `/bin/sh -c "until ping -c 1 -W 1 ${to} >/dev/null; do sleep 0.2; done; echo reached ${to}; exec sleep 100000"`;
    await machines[0].run(spec('7-1-ca', { nic: nicA, entrypoint: loop('10.20.3.10') }));
    await machines[1].run(spec('7-2-cb', { nic: nicB, entrypoint: loop('10.20.2.10') }));
    expect(await eventually(async () => (await machines[0].logs('7-1-ca')).includes('reached 10.20.3.10'))).toBe(true);
    expect(await eventually(async () => (await machines[1].logs('7-2-cb')).includes('reached 10.20.2.10'))).toBe(true);
    // the console (console_url 10.20.2.0:20010) streams A's log to B's machine over WireGuard
    const console_ = spawnSync('nsenter', [`--net=/run/netns/${nicB.netns}`, 'timeout', '2', 'busybox', 'nc', '10.20.2.0', '20010'], { encoding: 'utf8' });
    expect(console_.stdout).toContain('reached 10.20.3.10');
    await machines[0].remove('7-1-ca');
    await machines[1].remove('7-2-cb');
    await a.backend.detach('7-1-ca');
    await b.backend.detach('7-2-cb');
  });

  it("serves the base flist's page on a public IPv4 and IPv6 to the outside", async () => {
    const [a, b] = grid.nodes;
    const nic = await a.backend.attach({ netId: grid.netId, machine: '7-1-pub', ip: '10.20.2.11' });
    await a.backend.attachPublicIp({ machine: '7-1-pub', ip: '192.168.77.50/24', gateway: '192.168.77.1', ip6: 'fd00:77::50/64' });
    execFileSync('ip', ['-n', b.hostNetns, '-6', 'addr', 'add', 'fd00:77::2/64', 'dev', 'up0', 'nodad']);
    await machines[0].run(spec('7-1-pub', { nic })); // base flist .startup.toml: httpd on :80
    let page = '';
    const ok = await eventually(async () => {
      try {
        page = execFileSync('nsenter', [`--net=/run/netns/${b.hostNetns}`, 'curl', '-sS', '-m', '2', 'http://192.168.77.50/'], { encoding: 'utf8', stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    });
    expect(ok).toBe(true);
    expect(page).toContain('hello from the tfgrid base flist');
    const page6 = execFileSync('nsenter', [`--net=/run/netns/${b.hostNetns}`, 'curl', '-sS', '-m', '5', 'http://[fd00:77::50]/'], { encoding: 'utf8', stdio: 'pipe' });
    expect(page6).toContain('hello from the tfgrid base flist');
    await machines[0].remove('7-1-pub');
    await a.backend.detach('7-1-pub');
    const links = execFileSync('ip', ['-n', a.hostNetns, '-o', 'link'], { encoding: 'utf8' });
    expect(links).not.toContain(`${a.prefix}p`);
  });

  it('kills a container that exceeds its memory limit and reports oom-killed', async () => {
    const st = await machines[0].run(spec('7-1-hog', { memory: 64n * MiB, entrypoint: '/bin/sh -c "dd if=/dev/zero of=/dev/null bs=200M count=1; exec sleep 100000"' }));
    expect(['running', 'oom-killed']).toContain(st.state);
    expect(await eventually(async () => (await machines[0].status('7-1-hog'))?.state === 'oom-killed')).toBe(true);
    const final = await machines[0].status('7-1-hog');
    expect(final?.reason).toBe('machine exceeded its memory limit of 67108864 bytes and was killed');
    expect(final?.pid).toBeUndefined();
    expect((await machines[0].list()).find((m) => m.id === '7-1-hog')?.state).toBe('oom-killed');
    await machines[0].remove('7-1-hog');
  });

  it('keeps a file written on a disk across a machine replacement', async () => {
    const storage = createLinuxStorage({ dir: path.join(dir, 'disks') });
    await storage.create({ id: '7-1-data', kind: 'zmount', size: 64n * MiB });
    const mp = await storage.mount('7-1-data');
    const mounts = [{ source: mp, target: '/data' }];
    await machines[0].run(spec('7-1-v1', { mounts, entrypoint: '/bin/sh -c "echo written-by-v1 > /data/note; echo done; exec sleep 100000"' }));
    expect(await eventually(async () => (await machines[0].logs('7-1-v1')).includes('done'))).toBe(true);
    await machines[0].remove('7-1-v1');
    await storage.unmount('7-1-data');
    const mp2 = await storage.mount('7-1-data');
    await machines[0].run(spec('7-1-v2', { mounts: [{ source: mp2, target: '/data' }], entrypoint: '/bin/sh -c "cat /data/note; exec sleep 100000"' }));
    expect(await eventually(async () => (await machines[0].logs('7-1-v2')).includes('written-by-v1'))).toBe(true);
    await machines[0].remove('7-1-v2');
    await storage.remove('7-1-data');
  });
});
