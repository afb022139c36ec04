/**
 * The published package as a user gets it (issue 13): `make package`, then `npm install <tarball> @pulumi/pulumi`
 * in a fresh Pulumi project outside the checkout. The install holds none of the local grid's or node runtime's
 * dependencies and nothing that points back to the checkout, the package loads by name, and the project deploys to
 * the shared local grid and is destroyed as `tfgrid local deploy` runs it (the Pulumi CLI when on PATH, else the
 * test engine). The provider code the serialized shims load can only come from the project's node_modules: no
 * environment variable points elsewhere and the project lives outside the checkout.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { addGridUser } from '../../local/grid/grid';
import { runExample } from '../../local/grid/example-runner';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '..', '..');
const rootPkg = z.object({ dependencies: z.record(z.string()), devDependencies: z.record(z.string()) }).parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')));

/** What the local grid, the node runtime and the checkout's tooling need, and a user's install never must. */
const NEVER_INSTALLED = ['@acala-network/chopsticks', 'better-sqlite3', 'sqlite3', 'typeorm', 'node-forge', 'dns-packet', 'snappyjs', 'commander', '@swc-node/register', '@swc/core', 'jest'];

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";

const cfg = new pulumi.Config();
const flist = cfg.require("flist");
const net = new tfgrid.Network("net", { networkName: "user_pkg_net", nodes: [1] });
const vm = new tfgrid.ZMachine("app", { node: 1, network: net, flist, cpu: 1, memory: "256MiB", entrypoint: "/usr/sbin/httpd -f -p 8080 -h /var/www" });
export const privateIp = vm.privateIp;
export const nodeSubnets = net.nodeSubnets;
`;

/** Every entry under `dir` that is a symlink, with its target. */
function symlinks(dir: string): { link: string; target: string }[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    if (!e.isSymbolicLink()) return [];
    const link = path.join(e.parentPath ?? e.path, e.name);
    return [{ link, target: path.resolve(path.dirname(link), fs.readlinkSync(link)) }];
  });
}

/** Packages npm warned about with EBADENGINE. */
function badEngines(npmOutput: string): string[] {
  return [...npmOutput.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]);
}

describe('the published package in a fresh project outside the checkout', () => {
  let tarball: string;
  let project: string;
  let npmOutput: string;

  beforeAll(() => {
    expect(process.env.TFGRID_PROVIDER_MODULE).toBeUndefined();
    expect(process.env.NODE_PATH).toBeUndefined();
    const out = execFileSync('make', ['--no-print-directory', 'package'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    tarball = out[out.length - 1];
    expect(tarball).toMatch(/pulumi-tfgrid-[\d.]+\.tgz$/);

    project = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-user-project-'));
    expect(path.relative(ROOT, project).startsWith('..')).toBe(true);
    fs.writeFileSync(path.join(project, 'Pulumi.yaml'), 'name: tfgrid-user-project\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n');
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tfgrid-user-project', private: true, main: 'index.ts' }, null, 2));
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node', esModuleInterop: true, skipLibCheck: true }, files: ['index.ts'] }, null, 2),
    );
    fs.writeFileSync(path.join(project, 'index.ts'), PROGRAM);
    // A copy of the tarball, so nothing the project records (package.json, lock) names the checkout.
    const copy = path.join(project, path.basename(tarball));
    fs.copyFileSync(tarball, copy);
    const pkgs = [
      `./${path.basename(copy)}`,
      `@pulumi/pulumi@${rootPkg.dependencies['@pulumi/pulumi']}`,
      `typescript@${rootPkg.devDependencies.typescript}`,
      `@types/node@${rootPkg.devDependencies['@types/node']}`,
    ];
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...pkgs], { cwd: project, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'warn' } });
    npmOutput = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`npm install in ${project} failed:\n${npmOutput}`);
    fs.rmSync(copy);
  });

  afterAll(() => {
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it('packs compiled code, types, schema, README and licence only', () => {
    const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((e) => e.replace(/^package\//, ''));
    expect(entries).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'schema.json', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/provider/dynamic-entry.js', 'dist/protocol/rmb/types.proto']),
    );
    expect(entries.filter((e) => /\.test\.|\.bench\.|\.ts$/.test(e) && !e.endsWith('.d.ts'))).toEqual([]);
    expect(entries.filter((e) => /^(dist\/)?(node|local|cli|test|bench|examples|scripts|tools|\.ci)\//.test(e))).toEqual([]);
  });

  it("installs none of the local grid's or node runtime's dependencies, and nothing that points to the checkout", () => {
    const nm = path.join(project, 'node_modules');
    expect(NEVER_INSTALLED.filter((p) => fs.existsSync(path.join(nm, p)))).toEqual([]);
    expect(symlinks(nm).filter((l) => !path.relative(ROOT, l.target).startsWith('..'))).toEqual([]);
    const installed = path.join(nm, 'pulumi-tfgrid');
    const mentions = spawnSync('grep', ['-rl', ROOT, installed], { encoding: 'utf8' }).stdout.trim();
    expect(mentions).toBe('');
    expect(fs.readFileSync(path.join(project, 'package.json'), 'utf8')).not.toContain(ROOT);
    // Our package and the dependencies it declares agree with the Node this runs on (@pulumi/pulumi's own
    // engines are the pinned pair's concern: DESIGN.md and issue 13).
    const declared = Object.keys(z.object({ dependencies: z.record(z.string()) }).parse(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'))).dependencies);
    expect(badEngines(npmOutput).filter((p) => ['pulumi-tfgrid', ...declared].some((d) => p.startsWith(`${d}@`)))).toEqual([]);
  });

  it('is required by name from the project', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', 'const t = require("pulumi-tfgrid"); const p = require.resolve("pulumi-tfgrid/dist/provider/dynamic-entry"); console.log(JSON.stringify({ exports: Object.keys(t), entry: p }))'],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    const out = z.object({ exports: z.array(z.string()), entry: z.string() }).parse(JSON.parse(r.stdout));
    expect(out.exports).toEqual(expect.arrayContaining(['Network', 'ZMachine', 'ZMount', 'PublicIp', 'Zdb', 'NameProxy', 'findNodes']));
    expect(out.entry).toBe(path.join(fs.realpathSync(project), 'node_modules', 'pulumi-tfgrid', 'dist', 'provider', 'dynamic-entry.js'));
  });

  it('deploys to the local grid and is destroyed, as `tfgrid local deploy` runs it', async () => {
    const grid = await ensureE2eGrid();
    const { mnemonic } = await addGridUser(e2eGridDir());
    const run = async (mode: 'up' | 'destroy') => {
      const r = await runExample({ programDir: project, grid, mode, stack: 'e2e', config: { 'tfgrid:mnemonic': mnemonic } });
      if (!r.ok) throw new Error(`${mode} of the user project (${r.via}) failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
      return r;
    };
    const up = await run('up');
    expect(up.outputs.privateIp).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(up.steps.map((s) => `${s.op} ${s.name}`)).toEqual(['create net', 'create app']);
    // The run wrote nothing into the installed package (a checkout link or provider override would).
    expect(fs.existsSync(path.join(project, 'node_modules', 'pulumi-tfgrid', '.tfgrid-checkout-link'))).toBe(false);
    expect(spawnSync('grep', ['-rl', ROOT, path.join(project, 'node_modules', 'pulumi-tfgrid')], { encoding: 'utf8' }).stdout.trim()).toBe('');
    const down = await run('destroy');
    expect(down.steps.map((s) => s.op)).toEqual(['delete', 'delete']);
  });
});
