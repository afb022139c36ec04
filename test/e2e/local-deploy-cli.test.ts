/**
 * `tfgrid local deploy` of projects created outside the repository, as a user runs it (issue 18.4, 18.5):
 * a program that cannot even start shows its own error text, and `-c key=value` is kept in the project's
 * `Pulumi.<stack>.yaml` (Pulumi's format), so the next plain run plans no change; the mnemonic never lands there.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addGridUser } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { runCli } from '../helpers/run-cli';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';

jest.setTimeout(300_000);
const REPO_NODE_MODULES = path.resolve(__dirname, '..', '..', 'node_modules');

let grid: GridState;
let mnemonic: string;
const projects: string[] = [];
beforeAll(async () => {
  grid = await ensureE2eGrid();
  ({ mnemonic } = await addGridUser(e2eGridDir()));
});
afterAll(() => {
  for (const p of projects) fs.rmSync(p, { recursive: true, force: true });
});

/** A Pulumi project in the system temp dir; `withModules` links the checkout's installed packages one by one. */
function tempProject(name: string, index: string, withModules: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-user-project-'));
  projects.push(dir);
  expect(path.relative(path.resolve(__dirname, '..', '..'), dir).startsWith('..')).toBe(true);
  fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), `name: ${name}\nruntime: nodejs\n`);
  fs.writeFileSync(path.join(dir, 'index.ts'), index);
  if (withModules) {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    for (const e of fs.readdirSync(REPO_NODE_MODULES)) fs.symlinkSync(path.join(REPO_NODE_MODULES, e), path.join(dir, 'node_modules', e));
  }
  return dir;
}

const ZDB_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";
const size = new pulumi.Config().get("size") ?? "1GiB";
const db = new tfgrid.Zdb("db", { node: 1, size, mode: "user" });
export const namespace = db.namespace;
export const sizeUsed = size;
`;

describe('tfgrid local deploy of a project outside the repository', () => {
  it("shows the program's own error when it cannot start (no node_modules), with exit code 1", async () => {
    const dir = tempProject('outside', ZDB_PROGRAM, false);
    const r = await runCli(['local', 'deploy', dir, '--preview', '--dir', grid.dir, '-c', `tfgrid:mnemonic=${mnemonic}`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`preview of ${dir} failed:`);
    // the first module the program cannot load: swc's hook (a plain shell) or @pulumi/pulumi (when a hook is inherited)
    expect(r.err).toMatch(/Cannot find module '(@swc-node\/register|@pulumi\/pulumi)'/);
    expect(r.err).not.toContain('\x1b[');
    expect(r.err).not.toMatch(/failed:\n\s*\n/);
    expect(r.err).toMatch(/fix: .*npm install/);
  });

  it('keeps -c config in Pulumi.<stack>.yaml: the next plain preview plans no change, and the mnemonic stays out', async () => {
    const dir = tempProject('cfg', ZDB_PROGRAM, true);
    const me = ['--dir', grid.dir, '--stack', 'e2e', '-c', `tfgrid:mnemonic=${mnemonic}`];
    try {
      const up = await runCli(['local', 'deploy', dir, ...me, '-c', 'size=2GiB']);
      expect(up.err).toContain(`config: cfg:size saved in ${path.join(dir, 'Pulumi.e2e.yaml')}`);
      expect(up.code).toBe(0);
      expect(up.out).toContain('sizeUsed: "2GiB"');
      const file = fs.readFileSync(path.join(dir, 'Pulumi.e2e.yaml'), 'utf8');
      expect(file).toBe('config:\n  cfg:size: 2GiB\n');
      expect(file).not.toContain(mnemonic.split(' ')[0]);

      const again = await runCli(['local', 'deploy', dir, ...me, '--preview', '--json']);
      expect(again.code).toBe(0);
      const plan = JSON.parse(again.out) as { ok: boolean; steps: { op: string; name: string }[]; outputs: Record<string, unknown>; configFile: string };
      expect(plan.steps).toEqual([{ op: 'same', type: 'pulumi-nodejs:dynamic/tfgrid:Zdb', name: 'db' }]);
      expect(plan.outputs.sizeUsed).toBe('2GiB');
      expect(plan.configFile).toBe(path.join(dir, 'Pulumi.e2e.yaml'));
    } finally {
      const down = await runCli(['local', 'deploy', dir, ...me, '--destroy']);
      expect(down.code).toBe(0);
    }
  });
});
