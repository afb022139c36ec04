/**
 * Secrets under the real Pulumi engine (issue 21): after `up` of examples/zdb through the Pulumi CLI, neither the
 * twin's mnemonic nor the namespace's generated password is in clear anywhere the CLI wrote: the project's
 * `Pulumi.<stack>.yaml`, `pulumi stack export`, the file backend's files (checkpoint, backups, history) and
 * PULUMI_HOME. They are there encrypted: `--show-secrets` gives them back, and the stack output is marked secret.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runExample, type ExampleMode } from '../../local/grid/example-runner';
import { addGridUser } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { exportStack } from '../../local/pulumi/stack-export';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';

jest.setTimeout(300_000);
const PROGRAM = path.join(__dirname, '..', '..', 'examples', 'zdb');
// Its own stack and user: examples-basic runs examples/zdb as `e2e`, and the backend locks a stack per run.
const STACK = 'secrets';

/** Every file under `dir` that holds `needle` (as is, or JSON-escaped). */
function filesHolding(dir: string, needle: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const hits: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath ?? e.path, e.name);
    const text = fs.readFileSync(file).toString('latin1');
    if (text.includes(needle) || text.includes(JSON.stringify(needle).slice(1, -1))) hits.push(file);
  }
  return hits;
}

let grid: GridState;
let mnemonic: string;
beforeAll(async () => {
  grid = await ensureE2eGrid();
  ({ mnemonic } = await addGridUser(e2eGridDir()));
});

async function run(mode: ExampleMode) {
  const r = await runExample({ programDir: PROGRAM, grid, mode, stack: STACK, config: { 'tfgrid:mnemonic': mnemonic } });
  if (!r.ok) throw new Error(`${mode} examples/zdb failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
  return r;
}

describe('secrets under the real Pulumi CLI', () => {
  it('keeps the mnemonic and the generated password out of the stack file, the checkpoint and the backend', async () => {
    const up = await run('up');
    try {
      expect(up.via).toBe('pulumi-cli');
      expect(up.secretOutputs).toContain('password');
      const password = String(up.outputs.password);
      expect(password.length).toBeGreaterThan(8);
      const stackFile = fs.readFileSync(path.join(PROGRAM, `Pulumi.${STACK}.yaml`), 'utf8');
      expect(stackFile).toMatch(/tfgrid:mnemonic:\n\s+secure: v1:/);
      expect(stackFile).toMatch(/^encryptionsalt: v1:/m);

      const plain = await exportStack({ programDir: PROGRAM, stack: STACK, gridDir: grid.dir });
      const shown = await exportStack({ programDir: PROGRAM, stack: STACK, gridDir: grid.dir, showSecrets: true });
      // the checkpoint's provider holds the mnemonic the run used: decrypted only with --show-secrets
      const provider = shown.resources.find((r) => r.type === 'pulumi:providers:pulumi-nodejs');
      const used = String((provider?.outputs as Record<string, unknown> | undefined)?.['tfgrid:mnemonic'] ?? '');
      expect(used).toBe(mnemonic);
      expect(shown.text).toContain(password);

      for (const secret of [used, password]) {
        expect(plain.text).not.toContain(secret);
        expect(stackFile).not.toContain(secret);
        expect(filesHolding(path.join(grid.dir, 'pulumi-state'), secret)).toEqual([]);
        expect(filesHolding(path.join(grid.dir, 'pulumi-home'), secret)).toEqual([]);
      }
      // a part of the mnemonic is not there either (no partial or differently quoted copy)
      expect(filesHolding(path.join(grid.dir, 'pulumi-state'), used.split(' ').slice(0, 4).join(' '))).toEqual([]);
    } finally {
      await run('destroy');
    }
  });
});
