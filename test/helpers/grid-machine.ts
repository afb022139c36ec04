/**
 * A container-mode machine of the shared local grid, seen from the host (machine.md runc; node/backends/machine
 * linux.ts names): `runc exec` with its node's runc root, addressed by the workload id the node reports
 * (`machineId`, `<twin>-<contract>-<name>`). Linux backend only. Checks run inside the machine, never through
 * 127.0.0.1.
 * @module
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { nodePrefix } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { machineNames } from '../../node/backends/machine/linux';

export interface GridMachine {
  /** runc container id. */
  container: string;
  /** Runs `cmd` inside the container; returns stdout, throws with stderr/stdout when it exits non-zero. */
  exec(...cmd: string[]): string;
  /** runc's status (`running`, `stopped`, …) or `gone`. */
  status(): string;
}

/** The machine `machineId` on grid node `index` (1-based). */
export function gridMachine(grid: GridState, index: number, machineId: string): GridMachine {
  const node = grid.nodes[index - 1];
  if (!node) throw new Error(`the grid has no node ${index} (it has ${grid.nodes.length})`);
  const container = machineNames(nodePrefix(grid.prefix, node.index)).container(machineId);
  const root = path.join(node.dataDir, 'machines', 'runc');
  const runc = (...args: string[]) => execFileSync('runc', ['--root', root, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 30_000 });
  return {
    container,
    exec: (...cmd) => runc('exec', container, ...cmd),
    status: () => {
      try {
        return (JSON.parse(runc('state', container)) as { status: string }).status;
      } catch {
        return 'gone';
      }
    },
  };
}

/** Retries `exec` until it succeeds (the first packets may wait for a handshake or a route); throws the last error. */
export async function execUntilOk(m: GridMachine, cmd: string[], tries = 10, delayMs = 500): Promise<string> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    try {
      return m.exec(...cmd);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      last = `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw new Error(`${cmd.join(' ')} in ${m.container} kept failing: ${last}`);
}
