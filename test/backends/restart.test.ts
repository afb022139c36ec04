/**
 * A node restart (zos-protocol.md §3.8 boot: active workloads are provisioned again) finds its machines still
 * running: the new backends adopt the network resource, the machine's interface and the container instead of
 * rebuilding them, so the same process keeps serving; afterwards an orderly close leaves nothing.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBaseRootfs } from '../../local/hub/base-flist';
import { createLinuxBackends } from '../../node/backends/machine/linux-backends';
import type { LinuxBackends } from '../../node/backends/machine/linux-backends';
import { networkId } from '../../node/backends/network/network';
import type { NetworkConfig } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import type { MachineSpec } from '../../node/backends/machine/machine';
import { describeWithTools } from '../helpers/require-tools';

describeWithTools(['runc', 'ip', 'wireguard-go', 'wg', 'busybox', 'curl'], { root: true })('node restart', () => {
  let dir: string;
  let hostNetns: string;
  const prefix = `r${(process.pid % 1296).toString(36)}`;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-restart-'));
    hostNetns = `${prefix}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
  });
  afterAll(async () => {
    execFileSync('ip', ['netns', 'del', hostNetns]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function provision(b: LinuxBackends, cfg: NetworkConfig, spec: Omit<MachineSpec, 'nic'>) {
    const nr = await b.network.apply(cfg);
    const nic = await b.network.attach({ netId: nr.netId, machine: spec.id, ip: '10.60.2.5' });
    const st = await b.machines.run({ ...spec, nic });
    return { nr, st };
  }

  it('adopts the running network and container after a restart, then cleans up', async () => {
    const dataDir = path.join(dir, 'node');
    const first = createLinuxBackends({ prefix, dataDir, hostNetns });
    const cfg: NetworkConfig = {
      netId: networkId(7, 'n'),
      ipRange: '10.60.0.0/16',
      subnet: '10.60.2.0/24',
      wgPrivateKey: wgKeyPair().privateKey,
      wgListenPort: 26000 + (process.pid % 1000),
      peers: [],
    };
    const flist = await first.flists.resolve(await buildBaseRootfs(path.join(dir, 'base')));
    const spec = { id: '7-1-web', name: 'web', flist, cpu: 1, memory: 256n << 20n, entrypoint: '', env: {}, mounts: [] };
    const one = await provision(first, cfg, spec);
    expect(one.st.state).toBe('running');
    // the process "dies": nothing of `first` is closed

    const second = createLinuxBackends({ prefix, dataDir, hostNetns });
    const two = await provision(second, cfg, spec);
    expect(two.st).toMatchObject({ state: 'running', pid: one.st.pid });
    const page = execFileSync('nsenter', [`--net=/run/netns/${two.nr.netns}`, 'curl', '-sS', '-m', '3', 'http://10.60.2.5/'], { encoding: 'utf8' });
    expect(page).toContain('hello from the tfgrid base flist');

    await second.machines.remove('7-1-web');
    await second.close();
    expect(
      execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith(`${prefix}-`) && !l.startsWith(hostNetns)),
    ).toEqual([]);
    expect(existsSync(`/sys/fs/cgroup/memory/tfgrid-${prefix}`)).toBe(false);
    // the first incarnation's watcher timer is unref'd; closing it now finds nothing to remove
    await first.machines.close();
  });
});
