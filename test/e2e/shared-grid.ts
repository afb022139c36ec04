/**
 * The e2e tests' local grid: one per jest run, shared by every e2e file (style.md §6). The first file to ask
 * starts it in a run-scoped directory (`startLocalGrid` is idempotent and serialised by a lock, so files on
 * other workers get the same grid); a watchdog takes it down when the jest process exits.
 * `TFGRID_E2E_BACKEND` picks the node backend (default: linux with root, else sim, announced).
 * @module
 */
import * as os from 'os';
import * as path from 'path';
import { addGridUser, startLocalGrid, type BackendChoice } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';

export const E2E_NODES = 3;

function runPid(): number {
  return Number(process.env.TFGRID_TEST_RUN_PID ?? process.ppid);
}

export function e2eGridDir(): string {
  return path.join(os.tmpdir(), `tfgrid-e2e-grid-${runPid()}`);
}

export async function ensureE2eGrid(): Promise<GridState> {
  const backend = (process.env.TFGRID_E2E_BACKEND as BackendChoice | undefined) ?? 'auto';
  return startLocalGrid({
    dir: e2eGridDir(),
    nodes: E2E_NODES,
    backend,
    chainPort: 0,
    relayPort: 0,
    hubPort: 0,
    stopWhenPidExits: runPid(),
    announce: (line) => console.warn(line),
  });
}

let fileUser: Promise<{ mnemonic: string }> | undefined;

/**
 * Runs `examples/<name>` against the shared grid as this test file's own funded user (files run in parallel
 * and one account's transactions would race for nonces); a failed run throws with the errors and log tail.
 */
export async function runE2eExample(grid: GridState, name: string, mode: 'up' | 'preview' | 'destroy' | 'refresh' = 'up', config: Record<string, string> = {}) {
  const { runExample } = await import('../../local/grid/example-runner');
  fileUser ??= addGridUser(e2eGridDir());
  const { mnemonic } = await fileUser;
  const run = async (m: typeof mode) => {
    const r = await runExample({ programDir: path.join(__dirname, '..', '..', 'examples', name), grid, mode: m, stack: 'e2e', config: { ...config, 'tfgrid:mnemonic': mnemonic } });
    if (!r.ok) throw new Error(`${m} examples/${name} (${r.via}) failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
    return r;
  };
  if (mode !== 'up') return run(mode);
  // Every up of every example is previewed first, and the preview must not understate what up does (issue 22).
  const preview = await run('preview');
  const r = await run('up');
  const { comparePlan, describeMissed } = await import('../../local/grid/plan-compare');
  const c = comparePlan(preview.steps, r.steps);
  if (c.missed.length > 0) throw new Error(`examples/${name}: the preview did not tell what up did:\n${describeMissed(c)}`);
  // Every up of every example is scanned for secrets in clear (issue 13): the state, the logs, the error texts.
  const { givenSecrets, scanSecrets } = await import('./secret-scan');
  const programDir = path.join(__dirname, '..', '..', 'examples', name);
  await scanSecrets({ grid, programDir, stack: 'e2e', runs: [preview, r], given: [mnemonic, ...givenSecrets(config)] });
  return r;
}

/**
 * Fetches `url` with curl from a "laptop" namespace on the grid internet (local/topology `createLaptop`),
 * `host` resolved to `address` (what the grid DNS answers), trusting the grid CA for HTTPS. Linux grids only.
 * Transient answers (connection refused, 502 while the machine's server starts) are retried by curl.
 * Returns the body; throws with curl's error when the fetch fails. `slot` keeps laptops of parallel files apart.
 */
export async function fetchFromLaptop(grid: GridState, url: string, address: string, slot: number): Promise<string> {
  const { createLaptop, removeLaptop, planTopology, runCommand } = await import('../../local/topology');
  const plan = planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] });
  const laptop = await createLaptop(plan, slot);
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const args = [
      '--net=/run/netns/' + laptop.netns,
      'curl',
      '-sS',
      '--fail',
      '--max-time',
      '20',
      '--retry',
      '5',
      '--retry-delay',
      '1',
      '--retry-connrefused',
      '--resolve',
      `${u.hostname}:${port}:${address}`,
    ];
    if (grid.ca) args.push('--cacert', grid.ca.certFile);
    return await runCommand('nsenter', [...args, url]);
  } finally {
    await removeLaptop(laptop);
  }
}
