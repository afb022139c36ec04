/**
 * One node's Linux backends, wired with the directory layout `cleanupAll` knows (zos-protocol.md §8: a local
 * ZOS-like runtime; machine.md: clean up by name, stop by PID). The node runtime's composition root calls
 * `createLinuxBackends`; `tfgrid local down` and tests call `cleanupAll` for whatever a crashed node left.
 *
 *     <dataDir>/storage/   disk images + mountpoints      <dataDir>/network/   wireguard-go pid/log files
 *     <dataDir>/machines/  bundles, overlays, runc state  <dataDir>/flists/    rootfs cache
 *
 * @example
 *   const b = createLinuxBackends({ prefix: 'n1', dataDir: '/var/lib/tfgrid/n1', hostNetns: 'g1-n1', uplink: 'uplink' });
 *   // … b.network.apply(…), b.machines.run(…) …
 *   await b.close();                          // orderly: machines, networks, disks unmounted
 *   await cleanupAll({ prefix: 'n1', dataDir: '/var/lib/tfgrid/n1', hostNetns: 'g1-n1' }); // after a crash
 * @module
 */
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import type { Logger } from '../../../protocol/common/log';
import { createLinuxFlists } from '../flist/linux';
import type { FlistBackend } from '../flist/flist';
import { createLinuxNetwork, networkNames, OVERLAY_RANGES, WG_SOCKET_DIR } from '../network/linux';
import type { NetworkBackend } from '../network/network';
import { createLinuxStorage, mountsUnder } from '../storage/linux';
import type { StorageBackend } from '../storage/storage';
import { isAlive, killPid, runCommand, sleep, tryCommand } from './host-command';
import { CGROUP_CONTROLLERS, CGROUP_ROOT, createLinuxMachines, machineNames } from './linux';
import type { MachineBackend } from './machine';

export interface LinuxBackendsOptions {
  /** 1..6 chars `[a-z][a-z0-9]*`, unique per node on the machine. */
  prefix: string;
  dataDir: string;
  /** The node's host namespace (from the local grid) and its uplink to the grid's internet. */
  hostNetns: string;
  uplink?: string;
  log?: Logger;
  qemu?: { binary?: string; accel?: 'tcg' | 'kvm'; maxSeconds?: number };
}

export interface LinuxBackends {
  storage: StorageBackend;
  network: NetworkBackend;
  machines: MachineBackend;
  flists: FlistBackend;
  /** Removes machines and networks, unmounts disks (images stay for a restart). */
  close(): Promise<void>;
}

export function createLinuxBackends(opts: LinuxBackendsOptions): LinuxBackends {
  const d = (sub: string) => path.join(opts.dataDir, sub);
  const storage = createLinuxStorage({ dir: d('storage'), log: opts.log });
  const network = createLinuxNetwork({ host: { prefix: opts.prefix, hostNetns: opts.hostNetns, uplink: opts.uplink }, dir: d('network'), log: opts.log });
  const machines = createLinuxMachines({ prefix: opts.prefix, dir: d('machines'), log: opts.log, qemu: opts.qemu });
  const flists = createLinuxFlists({ dir: d('flists'), log: opts.log });
  return {
    storage,
    network,
    machines,
    flists,
    async close() {
      await machines.close();
      await network.close();
      await storage.close();
      await flists.close();
    },
  };
}

export interface CleanupReport {
  processes: number[];
  netns: string[];
  mounts: string[];
  loops: string[];
  cgroups: string[];
  sockets: string[];
}

async function pidFiles(root: string): Promise<number[]> {
  const out: number[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 3 && e.name !== 'rootfs' && e.name !== 'upper') await walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.pid')) {
        const pid = Number((await fs.readFile(p, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 1) out.push(pid);
      }
    }
  };
  await walk(root, 0);
  return out;
}

/**
 * Removes everything a node with this prefix (and data directory) created: runc containers and every process in
 * its cgroups, processes from its pid files (wireguard-go, runners, qemu), its namespaces, wireguard sockets,
 * macvlans left in the host namespace, mounts and loop devices under `dataDir`, and its cgroups. Files stay.
 */
export async function cleanupAll(opts: { prefix: string; dataDir?: string; hostNetns?: string }): Promise<CleanupReport> {
  const report: CleanupReport = { processes: [], netns: [], mounts: [], loops: [], cgroups: [], sockets: [] };
  const mnames = machineNames(opts.prefix);
  const nnames = networkNames(opts.prefix);
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : undefined;
  if (dataDir) {
    const runcRoot = path.join(dataDir, 'machines', 'runc');
    const list = await runCommand('runc', ['--root', runcRoot, 'list', '-q']).catch(() => ({ stdout: '' }));
    for (const id of list.stdout.split('\n').filter(Boolean)) await tryCommand('runc', ['--root', runcRoot, 'delete', '--force', id]);
  }
  // every process still in the node's cgroups (the memory hierarchy sees them all)
  const parent = path.join(CGROUP_ROOT, 'memory', mnames.cgroupParent);
  const procsOf = (dir: string): number[] => {
    try {
      return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  for (const child of await fs.readdir(parent).catch(() => [] as string[])) {
    for (const pid of procsOf(path.join(parent, child))) {
      await killPid(pid, 500);
      report.processes.push(pid);
    }
  }
  if (dataDir) {
    for (const pid of await pidFiles(dataDir)) {
      if (!isAlive(pid)) continue;
      await killPid(pid, 1000);
      report.processes.push(pid);
    }
  }
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  for (const ns of stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean)) {
    if (!nnames.isOurs(ns)) continue;
    const pids = await runCommand('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of pids.stdout.split('\n').filter(Boolean).map(Number)) {
      await killPid(pid, 500);
      report.processes.push(pid);
    }
    if (await tryCommand('ip', ['netns', 'del', ns])) report.netns.push(ns);
  }
  for (const s of await fs.readdir(WG_SOCKET_DIR).catch(() => [] as string[])) {
    if (!s.startsWith(`${opts.prefix}w`) || !s.endsWith('.sock')) continue;
    await fs.rm(path.join(WG_SOCKET_DIR, s), { force: true });
    report.sockets.push(s);
  }
  if (opts.hostNetns) {
    const links = await runCommand('ip', ['-n', opts.hostNetns, '-o', 'link', 'show']).catch(() => ({ stdout: '' }));
    for (const l of links.stdout.split('\n')) {
      const name = l.split(':')[1]?.trim().split('@')[0];
      if (name && (name.startsWith(`${opts.prefix}p`) || name.startsWith(`${opts.prefix}o`)) && name.length === opts.prefix.length + 9) {
        await tryCommand('ip', ['-n', opts.hostNetns, 'link', 'del', name]);
      }
    }
    // overlay publication (network/linux.ts connectOverlay/announce): proxy NDP entries and on-link routes
    const proxies = await runCommand('ip', ['-n', opts.hostNetns, '-6', 'neigh', 'show', 'proxy']).catch(() => ({ stdout: '' }));
    for (const l of proxies.stdout.split('\n')) {
      const [addr, , dev] = l.trim().split(/\s+/);
      if (addr && dev && /^[2-5][0-9a-f]{2}:/.test(addr)) await tryCommand('ip', ['-n', opts.hostNetns, '-6', 'neigh', 'del', 'proxy', addr, 'dev', dev]);
    }
    for (const range of OVERLAY_RANGES) await tryCommand('ip', ['-n', opts.hostNetns, '-6', 'route', 'del', range]);
  }
  if (dataDir) {
    const mps = [...mountsUnder(dataDir).keys()].sort((a, b) => b.length - a.length);
    for (const mp of mps) if (await tryCommand('umount', ['-l', mp])) report.mounts.push(mp);
    const ours = async () => {
      const loops = await runCommand('losetup', ['-l', '-n', '-O', 'NAME,BACK-FILE']).catch(() => ({ stdout: '' }));
      return loops.stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/, 2))
        .filter(([dev, file]) => dev && file && file.startsWith(dataDir + '/'))
        .map(([dev]) => dev);
    };
    for (const dev of await ours()) if (await tryCommand('losetup', ['-d', dev])) report.loops.push(dev);
    // a device still held by a lazily unmounted filesystem is only marked autoclear: wait for it to go
    for (let i = 0; i < 100 && (await ours()).length; i++) await sleep(50);
  }
  for (const c of CGROUP_CONTROLLERS) {
    const p = path.join(CGROUP_ROOT, c, mnames.cgroupParent);
    for (const child of await fs.readdir(p, { withFileTypes: true }).catch(() => [])) {
      if (
        child.isDirectory() &&
        (await fs.rmdir(path.join(p, child.name)).then(
          () => true,
          () => false,
        ))
      )
        report.cgroups.push(`${c}/${mnames.cgroupParent}/${child.name}`);
    }
    if (
      await fs.rmdir(p).then(
        () => true,
        () => false,
      )
    )
      report.cgroups.push(`${c}/${mnames.cgroupParent}`);
  }
  return report;
}
