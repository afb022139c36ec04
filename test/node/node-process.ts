/**
 * `tfgrid node run` as a child process (what a SIGKILL can reach; an in-process runtime cannot be killed): start
 * it on a config file and wait for "node ready", kill it hard, stop it cleanly. Its stderr goes to `logFile`.
 * @module
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface NodeProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

/** Starts `tfgrid node run --config <configFile>` and resolves once it prints "node ready". */
export function startNodeProcess(configFile: string, logFile: string): Promise<NodeProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'tfgrid'), 'node', 'run', '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', fs.openSync(logFile, 'a')],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node did not start in 60 s; see ${logFile}`)), 60_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('node ready')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before it was ready; see ${logFile}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`));
    });
  });
}

/** SIGKILL, and wait until the process is gone. */
export async function killNodeProcess(p: NodeProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/** SIGTERM (a clean stop); resolves with the exit code. */
export async function stopNodeProcess(p: NodeProcess | undefined): Promise<number | null | undefined> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode;
  p.child.kill('SIGTERM');
  return p.exited;
}
