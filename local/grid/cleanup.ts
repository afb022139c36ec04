/**
 * `tfgrid local down` leaves nothing behind (DESIGN.md §4; machine.md "Clean up by name"): after the daemons
 * are stopped by PID, this sweeps what they may have left — mounts under the grid's directory, loop devices
 * backed by files in it, network namespaces, wireguard-go control sockets and gateway forwarder socket dirs
 * (`/run/tfgrid-<node prefix>`) named with the grid's prefix,
 * cgroups named with it. Each sweep touches only names that carry the prefix or paths under the grid dir.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { errorText } from '../../protocol/common/errors';
import type { Logger } from '../../protocol/common/log';
import { runCommand, type CommandRunner } from '../topology/command';
import { listNamespaces } from '../topology/topology';

export interface SweepReport {
  mounts: string[];
  loops: string[];
  namespaces: string[];
  sockets: string[];
  cgroups: string[];
  errors: string[];
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mounts; octal escapes decoded). */
export function mountsUnder(dir: string, mountsText?: string): string[] {
  let text = mountsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/mounts', 'utf8');
    } catch {
      return [];
    }
  }
  const root = path.resolve(dir);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[1];
    if (!field) continue;
    const mp = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === root || mp.startsWith(root + '/')) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Loop devices whose backing file lies under `dir` (`losetup --list --json`). */
export async function loopsUnder(dir: string, run: CommandRunner = runCommand): Promise<string[]> {
  let text: string;
  try {
    text = await run('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']);
  } catch {
    return [];
  }
  if (!text.trim()) return [];
  const root = path.resolve(dir);
  const parsed = JSON.parse(text) as { loopdevices?: { name: string; 'back-file'?: string | null }[] };
  return (parsed.loopdevices ?? [])
    .filter((l) => {
      const back = (l['back-file'] ?? '').replace(/ \(deleted\)$/, '');
      return back === root || back.startsWith(root + '/');
    })
    .map((l) => l.name);
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** cgroup directories (v1 controllers) whose name starts with one of the prefixes, deepest first. */
function cgroupsWithPrefix(prefixes: string[]): string[] {
  const out: string[] = [];
  let controllers: string[];
  try {
    controllers = fs.readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
  const walk = (dir: string, depth: number) => {
    if (depth > 3) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const full = path.join(dir, e.name);
      if (prefixes.some((p) => e.name.startsWith(p))) out.push(full);
      else walk(full, depth + 1);
    }
  };
  for (const c of controllers) walk(path.join(CGROUP_ROOT, c), 0);
  return out.sort((a, b) => b.length - a.length);
}

/** Removes a cgroup and its children (children first; a cgroup with live tasks stays and is reported). */
function removeCgroup(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

/**
 * Sweeps everything named with one of `prefixes` or living under `dir`. Safe to run when nothing is left.
 * Failures are collected (and logged), not thrown, so one stuck mount does not keep the rest around.
 */
export async function sweepGrid(opts: { dir: string; prefixes: string[]; log?: Logger; run?: CommandRunner }): Promise<SweepReport> {
  const run = opts.run ?? runCommand;
  const report: SweepReport = { mounts: [], loops: [], namespaces: [], sockets: [], cgroups: [], errors: [] };
  const fail = (what: string, err: unknown) => {
    report.errors.push(`${what}: ${errorText(err)}`);
    opts.log?.warn('cleanup failed', { what, error: errorText(err) });
  };
  const prefixes = opts.prefixes.filter((p) => p.length >= 2);
  if (process.platform !== 'linux') return report;

  for (const mp of mountsUnder(opts.dir)) {
    try {
      await run('umount', ['-l', mp]);
      report.mounts.push(mp);
    } catch (err) {
      fail(`umount ${mp}`, err);
    }
  }
  for (const dev of await loopsUnder(opts.dir, run)) {
    try {
      await run('losetup', ['-d', dev]);
      report.loops.push(dev);
    } catch (err) {
      fail(`losetup -d ${dev}`, err);
    }
  }
  let namespaces: string[] = [];
  try {
    namespaces = await listNamespaces(run);
  } catch {
    namespaces = [];
  }
  for (const ns of namespaces) {
    if (!prefixes.some((p) => ns.startsWith(p))) continue;
    try {
      await run('ip', ['netns', 'del', ns]);
      report.namespaces.push(ns);
    } catch (err) {
      fail(`ip netns del ${ns}`, err);
    }
  }
  const wgDir = '/var/run/wireguard';
  let socks: string[] = [];
  try {
    socks = fs.readdirSync(wgDir);
  } catch {
    socks = [];
  }
  for (const s of socks) {
    if (!prefixes.some((p) => s.startsWith(p))) continue;
    try {
      fs.rmSync(path.join(wgDir, s), { force: true });
      report.sockets.push(s);
    } catch (err) {
      fail(`rm ${wgDir}/${s}`, err);
    }
  }
  // The gateway bridges' forwarder sockets: `/run/tfgrid-<node prefix>` (node/runtime `gateway.runDir`).
  let runEntries: string[] = [];
  try {
    runEntries = fs.readdirSync('/run');
  } catch {
    runEntries = [];
  }
  for (const d of runEntries) {
    if (!prefixes.some((p) => d.startsWith(`tfgrid-${p}`))) continue;
    try {
      fs.rmSync(path.join('/run', d), { recursive: true, force: true });
      report.sockets.push(d);
    } catch (err) {
      fail(`rm -r /run/${d}`, err);
    }
  }
  for (const cg of cgroupsWithPrefix(prefixes)) {
    try {
      removeCgroup(cg);
      report.cgroups.push(cg);
    } catch (err) {
      fail(`rmdir ${cg}`, err);
    }
  }
  return report;
}
