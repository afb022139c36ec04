/**
 * Container-mode zmachines as runc containers (machine.md runc + cgroup v1; zos-protocol.md §6.3): a hand-made OCI
 * bundle whose root is an overlay (private upper) on the flist's shared read-only rootfs, run by a detached `sh`
 * runner that waits for `runc run --keep` and records the exit code. After a node restart a container that still
 * runs is adopted, and one that ended on a kept bundle and root is started again on that root.
 *
 * Per machine, under its dir: `config.json`, `upper/`, `work/`, `rootfs/` (overlay mount), `console.log`,
 * `runner.pid`, `exit`. With a `rootSize`, `upper/` and `work/` live on a fixed-size ext4 image (`ctx.rootDisks`).
 * @module
 */
import { closeSync, existsSync, openSync, promises as fs } from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { ZosError } from '../../../protocol/common/errors';
import { mountsUnder } from '../storage/linux';
import { isAlive, killPid, runCommand, sleep, spawnDaemon, tryCommand } from './host-command';
import { oomKilled, removeCgroups } from './linux-cgroups';
import { openConsole } from './linux-context';
import type { LinuxMachineContext, MachineRecord } from './linux-context';
import type { MachineSpec, MachineStatus } from './machine';
import { buildOciSpec } from './oci-spec';

const runcStateSchema = z.object({ status: z.string(), pid: z.number().optional() });

const runc = (ctx: LinuxMachineContext, ...args: string[]) => runCommand('runc', ['--root', ctx.runcRoot, ...args]);

async function runcState(ctx: LinuxMachineContext, id: string): Promise<z.infer<typeof runcStateSchema> | undefined> {
  try {
    const { stdout } = await runc(ctx, 'state', ctx.names.container(id));
    return runcStateSchema.parse(JSON.parse(stdout));
  } catch {
    return undefined;
  }
}

async function exitCode(ctx: LinuxMachineContext, id: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(ctx.mdir(id), 'exit'), 'utf8').catch(() => '');
  return text.trim() ? Number(text.trim()) : undefined;
}

export async function containerStatus(ctx: LinuxMachineContext, r: MachineRecord): Promise<MachineStatus> {
  const restarts = r.restarts ? { restarts: r.restarts } : {};
  const st = await runcState(ctx, r.id);
  if (st && (st.status === 'running' || st.status === 'paused' || st.status === 'created') && !oomKilled(ctx.names, r.id)) {
    return { id: r.id, state: st.status === 'paused' ? 'paused' : 'running', ...(st.pid ? { pid: st.pid } : {}), ...restarts };
  }
  // stopped (kept by --keep) or gone: wait a moment for the runner to record the exit code
  for (let i = 0; i < 40 && isAlive(r.runnerPid); i++) await sleep(25);
  const code = await exitCode(ctx, r.id);
  const exit = code !== undefined ? { exitCode: code } : {};
  if (oomKilled(ctx.names, r.id)) {
    return { id: r.id, state: 'oom-killed', ...exit, reason: `machine exceeded its memory limit of ${r.spec.memory} bytes and was killed`, ...restarts };
  }
  return { id: r.id, state: 'exited', ...exit, reason: `machine exited with code ${code ?? 'unknown'}`, ...restarts };
}

async function unmountOverlay(ctx: LinuxMachineContext, id: string): Promise<void> {
  const root = path.join(ctx.mdir(id), 'rootfs');
  if (mountsUnder(root).has(root)) await runCommand('umount', ['-l', root]);
}

/** Stops a container (with or without a record of it) and removes its runc state, cgroups, overlay and root image. */
export async function removeContainer(ctx: LinuxMachineContext, id: string, r: MachineRecord | undefined): Promise<void> {
  await tryCommand('runc', ['--root', ctx.runcRoot, 'delete', '--force', ctx.names.container(id)]);
  if (r) await killPid(r.runnerPid);
  else {
    const pid = Number(await fs.readFile(path.join(ctx.mdir(id), 'runner.pid'), 'utf8').catch(() => '0'));
    if (pid) await killPid(pid);
  }
  await removeCgroups(ctx.names, id);
  await unmountOverlay(ctx, id);
  if (await ctx.rootDisks.get(ctx.names.dirName(id))) await ctx.rootDisks.remove(ctx.names.dirName(id));
}

/** Where `upper/` and `work/` go: the mounted rootfs image when the spec has a rootSize, else the machine dir. */
async function writableLayer(ctx: LinuxMachineContext, spec: MachineSpec): Promise<string> {
  if (spec.rootSize === undefined) return ctx.mdir(spec.id);
  if (spec.rootSize <= 0n) throw new ZosError(`invalid root size ${spec.rootSize} for machine '${spec.name}'`);
  const disk = ctx.names.dirName(spec.id);
  // a leftover of a machine that was not removed (crash) starts clean, like its dir
  if (await ctx.rootDisks.get(disk)) await ctx.rootDisks.remove(disk);
  await ctx.rootDisks.create({ id: disk, kind: 'zmount', size: spec.rootSize });
  return ctx.rootDisks.mount(disk);
}

/** Starts the bundle in `mdir(r.id)` under a detached runner and waits until runc has created it. */
async function launch(ctx: LinuxMachineContext, r: MachineRecord): Promise<MachineStatus> {
  const d = ctx.mdir(r.id);
  await fs.rm(path.join(d, 'exit'), { force: true });
  const logFd = openSync(path.join(d, 'console.log'), 'a');
  try {
    // sh waits for the container (foreground runc, kept after exit so its cgroup tells OOM apart) and records its exit code.
    r.runnerPid = spawnDaemon('sh', ['-c', 'runc --root "$1" run --keep -b "$2" "$3" </dev/null; echo $? > "$2/exit"', 'runner', ctx.runcRoot, d, ctx.names.container(r.id)], { logFd });
  } finally {
    closeSync(logFd);
  }
  await fs.writeFile(path.join(d, 'runner.pid'), String(r.runnerPid));
  for (let i = 0; i < 400; i++) {
    // read before the state: a container that runs and exits between the two checks is still seen (kept `stopped`)
    const runnerGone = !isAlive(r.runnerPid);
    const st = await runcState(ctx, r.id);
    if (st && st.status !== 'creating') {
      await openConsole(ctx, r.spec);
      return containerStatus(ctx, r);
    }
    if (runnerGone) break;
    await sleep(25);
  }
  const tail = await fs.readFile(path.join(d, 'console.log'), 'utf8').catch(() => '');
  throw new ZosError(`failed to start machine '${r.spec.name}': ${tail.trim().split('\n').slice(-3).join(' | ') || 'runc did not start'}`);
}

/** Writes the bundle into `d`: overlay root on the flist (upper on the writable layer), the files a machine expects, `config.json`. */
async function writeBundle(ctx: LinuxMachineContext, spec: MachineSpec, d: string): Promise<void> {
  const layer = await writableLayer(ctx, spec);
  for (const sub of ['upper', 'work']) await fs.mkdir(path.join(layer, sub), { recursive: true });
  await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${spec.flist.rootfs},upperdir=${path.join(layer, 'upper')},workdir=${path.join(layer, 'work')}`, path.join(d, 'rootfs')]);
  const root = path.join(d, 'rootfs');
  // Files a machine expects; written into the upper layer, never the shared rootfs.
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.writeFile(path.join(root, 'etc/hostname'), `${spec.name}\n`);
  await fs.writeFile(path.join(root, 'etc/resolv.conf'), 'nameserver 8.8.8.8\nnameserver 1.1.1.1\nnameserver 2001:4860:4860::8888\n');
  for (const m of spec.mounts) {
    if (m.target === '/' || !m.target.startsWith('/')) throw new ZosError(`invalid mount point '${m.target}' for machine '${spec.name}'`);
    await fs.mkdir(path.join(root, m.target), { recursive: true });
  }
  if (spec.nic && spec.nic.kind !== 'veth') throw new ZosError(`container machine '${spec.name}' needs a veth interface, got ${spec.nic.kind}`);
  const config = buildOciSpec({
    spec,
    rootfs: root,
    cgroupsPath: `/${ctx.names.cgroupParent}/${ctx.names.container(spec.id)}`,
    ...(spec.nic ? { netnsPath: `/run/netns/${spec.nic.netns}` } : {}),
  });
  await fs.writeFile(path.join(d, 'config.json'), JSON.stringify(config, null, 2));
}

/** A fresh container: a clean dir, the bundle, the runner. A failure removes whatever was made. */
async function runContainer(ctx: LinuxMachineContext, spec: MachineSpec): Promise<MachineStatus> {
  const d = ctx.mdir(spec.id);
  await fs.rm(d, { recursive: true, force: true });
  await fs.mkdir(path.join(d, 'rootfs'), { recursive: true });
  await fs.mkdir(ctx.runcRoot, { recursive: true });
  const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: 0, restarts: 0 };
  ctx.machines.set(spec.id, r);
  try {
    await writeBundle(ctx, spec, d);
    return await launch(ctx, r);
  } catch (err) {
    await ctx.removeNow(spec.id).catch(() => undefined);
    throw err;
  }
}

/** A container that ended: drop runc's kept state (and its cgroups, so OOM counters start at 0), run the bundle again. */
export async function relaunch(ctx: LinuxMachineContext, r: MachineRecord): Promise<MachineStatus> {
  await tryCommand('runc', ['--root', ctx.runcRoot, 'delete', '--force', ctx.names.container(r.id)]);
  if (r.runnerPid > 1) await killPid(r.runnerPid);
  await removeCgroups(ctx.names, r.id);
  return launch(ctx, r);
}

/** `run` of a container machine: adopt one that survived a node restart, restart one on its kept root, or build it afresh. */
export async function runOrAdoptContainer(ctx: LinuxMachineContext, spec: MachineSpec): Promise<MachineStatus> {
  const { log, machines } = ctx;
  // After a node restart the container may still run (its runner is detached): adopt it.
  const prev = await runcState(ctx, spec.id);
  const runner = Number(await fs.readFile(path.join(ctx.mdir(spec.id), 'runner.pid'), 'utf8').catch(() => '0'));
  if (prev && (prev.status === 'running' || prev.status === 'paused') && runner > 1 && isAlive(runner)) {
    const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: runner, restarts: 0 };
    machines.set(spec.id, r);
    await openConsole(ctx, spec);
    log.info('machine adopted', { machine: spec.id });
    return containerStatus(ctx, r);
  }
  // It ended while the node was down, its bundle and root still mounted (the host did not reboot): start it
  // again on that root, as ZOS boots a VM on its persisted rootfs volume. Anything less is rebuilt from scratch.
  const root = path.join(ctx.mdir(spec.id), 'rootfs');
  if (prev?.status === 'stopped' && !(runner > 1 && isAlive(runner)) && existsSync(path.join(ctx.mdir(spec.id), 'config.json')) && mountsUnder(root).has(root)) {
    const r: MachineRecord = { id: spec.id, spec, kind: 'container', runnerPid: 0, restarts: 0 };
    machines.set(spec.id, r);
    try {
      const st = await relaunch(ctx, r);
      log.info('machine started again on its kept root', { machine: spec.id, state: st.state });
      return st;
    } catch (err) {
      await ctx.removeNow(spec.id).catch(() => undefined);
      throw err;
    }
  }
  if (prev) await ctx.removeNow(spec.id);
  const st = await runContainer(ctx, spec);
  log.info('machine started', { machine: spec.id, state: st.state });
  return st;
}

export async function pauseContainer(ctx: LinuxMachineContext, id: string): Promise<void> {
  const st = await runcState(ctx, id);
  if (st?.status === 'running') await runc(ctx, 'pause', ctx.names.container(id));
}

export async function resumeContainer(ctx: LinuxMachineContext, id: string): Promise<void> {
  const st = await runcState(ctx, id);
  if (st?.status === 'paused') await runc(ctx, 'resume', ctx.names.container(id));
}

/** A container whose cgroup saw an OOM kill is killed whole (ZOS kills the VM), so status reports it ended. */
export function watchOomKills(ctx: LinuxMachineContext): NodeJS.Timeout {
  const watcher = setInterval(() => {
    for (const r of ctx.machines.values()) {
      if (r.kind !== 'container' || !isAlive(r.runnerPid) || !oomKilled(ctx.names, r.id)) continue;
      void tryCommand('runc', ['--root', ctx.runcRoot, 'kill', ctx.names.container(r.id), 'KILL']);
    }
  }, 250);
  watcher.unref();
  return watcher;
}
