/**
 * `tfgrid local deploy` of projects created outside the repository, as a user runs it (issue 18.4, 18.5, 18.6):
 * a program that cannot even start shows its own error text; `-c key=value` is kept in the project's
 * `Pulumi.<stack>.yaml` (Pulumi's format), so the next plain run plans no change, and the mnemonic never lands
 * there; a machine whose entrypoint does not exist shows runc's own text after a refresh.
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
    // the first module the run cannot load from the project (swc's hook, @pulumi/pulumi, its automation API), as node says it
    expect(r.err).toMatch(/Cannot find module '(@swc-node\/register|@pulumi\/pulumi[^']*)'/);
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
      expect(file).toMatch(/^config:\n( {2}.*\n)* {2}cfg:size: 2GiB\n/m);
      // a secret is only ever there encrypted by the CLI's secrets provider (`secure: v1:…`), never in plain text
      expect(file).not.toContain(mnemonic.split(' ').slice(0, 3).join(' '));

      const again = await runCli(['local', 'deploy', dir, ...me, '--preview', '--json']);
      expect(again.code).toBe(0);
      const plan = JSON.parse(again.out) as { ok: boolean; steps: { op: string; name: string }[]; outputs: Record<string, unknown>; configFile: string };
      expect(plan.steps.map((st) => `${st.op} ${st.name}`)).toEqual(['same db']);
      expect(plan.outputs.sizeUsed).toBe('2GiB');
      expect(plan.configFile).toBe(path.join(dir, 'Pulumi.e2e.yaml'));
    } finally {
      const down = await runCli(['local', 'deploy', dir, ...me, '--destroy']);
      expect(down.code).toBe(0);
    }
  });

  it("a machine whose entrypoint does not exist: refresh shows the error with the machine's console (runc's text)", async () => {
    const program = `import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";
const flist = new pulumi.Config().require("flist");
const net = new tfgrid.Network("net", { networkName: "noentry_net", nodes: [1] });
const vm = new tfgrid.ZMachine("vm", { node: 1, network: net, flist, cpu: 1, memory: "256MiB", entrypoint: "/sbin/zinit" });
export const state = vm.state;
export const message = vm.message;
`;
    const dir = tempProject('noentry', program, true);
    const me = ['--dir', grid.dir, '--stack', 'e2e', '-c', `tfgrid:mnemonic=${mnemonic}`];
    try {
      expect((await runCli(['local', 'deploy', dir, ...me])).code).toBe(0);
      // the node restarts it 3 times (every 2 s on the local grid), then fails it; refresh reads that back
      let outputs: Record<string, unknown> = {};
      for (let i = 0; i < 20 && outputs.state !== 'error'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 2000));
        expect((await runCli(['local', 'deploy', dir, ...me, '--refresh'])).code).toBe(0);
        const r = await runCli(['local', 'deploy', dir, ...me, '--json']);
        outputs = (JSON.parse(r.out) as { outputs: Record<string, unknown> }).outputs;
      }
      expect(outputs.state).toBe('error');
      expect(String(outputs.message)).toMatch(
        /^vm is not running: machine exited with code 1 \(gave up after 3 restarts within 120s; failures: .*\); console: .*stat \/sbin\/zinit: no such file or directory/,
      );
    } finally {
      expect((await runCli(['local', 'deploy', dir, ...me, '--destroy'])).code).toBe(0);
    }
  });
});
