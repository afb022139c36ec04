/**
 * A private Docker engine for tests (machine.md, "Docker engine"): `dockerd` started inside a network namespace
 * of its own with `nsenter --net=` (never `ip netns exec`, never the root namespace), with its own data-root,
 * exec-root, pidfile and socket under one scratch directory, so nothing of it is shared with the machine. `stop()`
 * stops dockerd and its containerd by PID, unmounts what they left under the directory, removes it and the
 * namespace.
 *
 * @example
 *   const engine = await startDockerEngine();
 *   await engine.docker(['import', 'rootfs.tar.gz', 'base:latest']);
 *   // programs that run `docker` get engine.env (DOCKER_HOST, DOCKER_CONFIG, DOCKER_BUILDKIT=0)
 *   await engine.stop();
 * @module
 */
import { execFile, spawn } from 'child_process';
import { openSync, closeSync, promises as fs } from 'fs';
import * as path from 'path';

export interface DockerEngine {
  /** The network namespace dockerd runs in (`/run/netns/<netns>`). */
  netns: string;
  /** Scratch directory holding data-root, exec-root, pidfile, socket, client config and log. */
  dir: string;
  /** `unix://<dir>/docker.sock` */
  host: string;
  /** dockerd's PID. */
  pid: number;
  /** Environment for `docker` clients: DOCKER_HOST, a private DOCKER_CONFIG, and the classic builder. */
  env: Record<string, string>;
  /** Runs the docker CLI against this engine; resolves with stdout, rejects with stderr. */
  docker(args: string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** Stops dockerd (and containerd) by PID and removes every trace; safe to call twice. */
  stop(): Promise<void>;
}

let counter = 0;

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (!alive(pid)) return true;
  return !alive(pid);
}

async function readPid(file: string): Promise<number | undefined> {
  const n = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Starts dockerd in a fresh namespace named `tfgdk<pid>x<n>`; waits until the engine answers. */
export async function startDockerEngine(): Promise<DockerEngine> {
  const netns = `tfgdk${process.pid}x${counter++}`;
  // Short path: containerd's shim sockets live under exec-root and unix socket paths are limited to 108 bytes.
  const dir = await fs.mkdtemp(`/tmp/${netns}-`);
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const env = { DOCKER_HOST: host, DOCKER_CONFIG: path.join(dir, 'client'), DOCKER_BUILDKIT: '0' };
  const pidfile = path.join(dir, 'dockerd.pid');
  await fs.mkdir(env.DOCKER_CONFIG);
  await run('ip', ['netns', 'add', netns]);
  let pid = 0;
  let stopped = false;

  const docker = (args: string[], opts: { timeoutMs?: number } = {}) => run('docker', args, { ...process.env, ...env }, opts.timeoutMs);

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    const containerd = await readPid(path.join(dir, 'exec', 'containerd', 'containerd.pid'));
    const daemon = (await readPid(pidfile)) ?? pid;
    for (const p of [daemon, containerd]) {
      if (!p || !alive(p)) continue;
      process.kill(p, 'SIGTERM');
      if (!(await waitGone(p, 20_000))) {
        process.kill(p, 'SIGKILL');
        await waitGone(p, 5_000);
      }
    }
    // Container netns files and overlay mounts that a killed daemon left behind, deepest first.
    const mounts = (await fs.readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
  }

  try {
    const log = openSync(path.join(dir, 'dockerd.log'), 'a');
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'setsid', 'dockerd', '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', pidfile, '-H', host], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.unref();
    pid = child.pid ?? 0;
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    for (const end = Date.now() + 60_000; ; await sleep(300)) {
      if (exited !== undefined) throw new Error(`dockerd exited with ${exited}: ${(await fs.readFile(path.join(dir, 'dockerd.log'), 'utf8')).slice(-1500)}`);
      const ok = await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() > end) throw new Error(`dockerd did not answer on ${host} within 60s: ${(await fs.readFile(path.join(dir, 'dockerd.log'), 'utf8')).slice(-1500)}`);
    }
    pid = (await readPid(pidfile)) ?? pid;
  } catch (err) {
    await stop();
    throw err;
  }
  return { netns, dir, host, pid, env, docker, stop };
}
