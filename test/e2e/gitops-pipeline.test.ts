/**
 * The GitOps pipeline as a real one runs (issue 21): a git repository holds a small program using the packed SDK;
 * every run clones it into a fresh runner directory (thrown away afterwards) and calls examples/gitops/pipeline.sh
 * with the state in a file backend that outlives the runners and the passphrase from the environment. Three
 * merges (create two zdbs, resize one and add one, delete one), each previewed on its pull request first: after
 * each `up` the twin's active contracts are exactly the stack's, on exactly the nodes the commit declares. Two
 * runs of the second merge fail, each through its runner only: the added zdb pointed at a node id the grid does not
 * have (refused before anything is deployed), then a relay in front of the grid's that drops the node's
 * `zos.deployment.deploy` (the contract is created, the node never gets the deployment). Each leaves no contract
 * the state does not own, and the next run, on a fresh runner, finishes the job.
 */
import { execFile, execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { findPulumiCli, pulumiEnv } from '../../local/pulumi/cli-env';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';
import { startDroppingRelay } from './dropping-relay';
import { newUser, requireCli, twinContracts, type FileUser } from './real-engine';

jest.setTimeout(1_500_000);
const ROOT = path.resolve(__dirname, '..', '..');
const PIPELINE = path.join(ROOT, 'examples', 'gitops', 'pipeline.sh');
const PROJECT = 'tfgrid-gitops-pipeline';

interface Db {
  name: string;
  node: number | 'cNode';
  size: string;
}

/** The program of one commit: its zdbs (`cNode`: node 3 unless the stack's config says otherwise). */
function program(dbs: Db[]): string {
  const lines = dbs.map((d) => {
    const node = d.node === 'cNode' ? "cfg.getNumber('cNode') ?? 3" : String(d.node);
    return `new tfgrid.Zdb('${d.name}', { node: ${node}, size: '${d.size}' });`;
  });
  return ["import * as pulumi from '@pulumi/pulumi';", "import * as tfgrid from 'pulumi-tfgrid';", '', 'const cfg = new pulumi.Config();', ...lines, ''].join('\n');
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface PipelineRun {
  code: number;
  output: string;
  preview: string;
}

let grid: GridState;
let user: FileUser;
let repo: string;
let deps: string;
let backend: string;
const passphrase = randomBytes(18).toString('base64url');
const runners: string[] = [];

/** The environment a runner gets from the CI system: backend, passphrase and mnemonic (repository secrets). */
function runnerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    TFGRID_MNEMONIC: user.mnemonic,
    TFGRID_LOCAL_DIR: e2eGridDir(),
    STACK: 'ci',
  };
}

/** One pipeline run on a fresh runner: clone `branch`, restore the dependency cache, run, throw the runner away. */
async function pipeline(verb: 'preview' | 'up' | 'destroy', branch: string, onRunner?: (dir: string) => void): Promise<PipelineRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-gitops-runner-'));
  runners.push(dir);
  try {
    git(os.tmpdir(), 'clone', '--quiet', '--branch', branch, repo, dir);
    fs.symlinkSync(path.join(deps, 'node_modules'), path.join(dir, 'node_modules'));
    onRunner?.(dir);
    const previewFile = path.join(dir, 'preview.txt');
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile('bash', [PIPELINE, verb, '.'], { cwd: dir, env: { ...runnerEnv(), PREVIEW_FILE: previewFile }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    return { code, output, preview: verb === 'preview' ? fs.readFileSync(previewFile, 'utf8') : '' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The pull request: a branch with the commit, previewed; then the merge to main and its `up`. */
async function merge(pr: string, dbs: Db[]): Promise<{ preview: PipelineRun }> {
  git(repo, 'checkout', '--quiet', '-b', pr, 'main');
  fs.writeFileSync(path.join(repo, 'index.ts'), program(dbs));
  git(repo, 'commit', '--quiet', '-am', pr);
  const preview = await pipeline('preview', pr);
  expect(preview.code).toBe(0);
  git(repo, 'checkout', '--quiet', 'main');
  git(repo, 'merge', '--quiet', '--no-ff', '-m', `merge ${pr}`, pr);
  return { preview };
}

/** The CLI with the pipeline's backend, in the repository (the stack's project). */
function pulumi(args: string[]): string {
  const cli = findPulumiCli();
  const env = { ...process.env, ...pulumiEnv(cli, e2eGridDir()), PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: passphrase };
  return execFileSync(path.join(cli.binDir, 'pulumi'), [...args, '--non-interactive'], { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 << 20 });
}

interface StateView {
  names: string[];
  contracts: number[];
  sizes: Record<string, unknown>;
}

/** The stack's zdbs (names, sizes) and the contract ids its state owns. */
function stackState(): StateView {
  const exported = JSON.parse(pulumi(['stack', 'export', '--stack', 'ci'])) as { deployment: { resources?: { urn: string; type: string; outputs?: Record<string, unknown> }[] } };
  const zdbs = (exported.deployment.resources ?? []).filter((r) => r.type.endsWith('tfgrid:Zdb'));
  const names = zdbs.map((r) => r.urn.slice(r.urn.lastIndexOf('::') + 2)).sort();
  const contracts = [...new Set(zdbs.flatMap((r) => (typeof r.outputs?.contractId === 'number' ? [r.outputs.contractId] : [])))].sort((a, b) => a - b);
  const sizes = Object.fromEntries(zdbs.map((r) => [r.urn.slice(r.urn.lastIndexOf('::') + 2), r.outputs?.size]));
  return { names, contracts, sizes };
}

/** The twin's active contracts: ids and the nodes they are on. */
async function chainView(): Promise<{ contracts: number[]; nodes: number[] }> {
  const active = await twinContracts(grid, user.twinId);
  const nodes = active.flatMap((c) => (c.type === 'node' ? [c.nodeId] : []));
  return { contracts: active.map((c) => c.contractId).sort((a, b) => a - b), nodes: [...new Set(nodes)].sort((a, b) => a - b) };
}

/** After an `up`: the chain holds exactly the contracts the state owns, on the nodes the last commit declares. */
async function expectDeclared(names: string[], nodes: number[]): Promise<StateView> {
  const state = stackState();
  const chain = await chainView();
  expect(state.names).toEqual(names);
  expect(chain.contracts).toEqual(state.contracts);
  expect(chain.nodes).toEqual(nodes);
  return state;
}

/** A failed run: the chain holds no contract the state does not own. */
async function expectConsistent(): Promise<void> {
  expect((await chainView()).contracts).toEqual(stackState().contracts);
}

/** Config of one runner only (its clone's stack file, thrown away with it): what makes that run fail. */
function setRunnerConfig(dir: string, values: Record<string, string>): void {
  const file = path.join(dir, 'Pulumi.ci.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { config?: Record<string, string> };
  doc.config = { ...doc.config, ...values };
  fs.writeFileSync(file, YAML.stringify(doc));
}

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
  // The dependency cache a CI system restores on each runner: the packed SDK and @pulumi/pulumi, installed once.
  const tarball = execFileSync('make', ['--no-print-directory', 'package'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
  expect(tarball).toMatch(/pulumi-tfgrid-[\d.]+\.tgz$/);
  deps = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-gitops-deps-'));
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  fs.writeFileSync(path.join(deps, 'package.json'), JSON.stringify({ name: 'gitops-deps', private: true }));
  fs.copyFileSync(tarball, path.join(deps, path.basename(tarball)));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `./${path.basename(tarball)}`, `@pulumi/pulumi@${rootPkg.dependencies['@pulumi/pulumi']}`], {
    cwd: deps,
    stdio: 'pipe',
  });

  backend = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-gitops-state-'));
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-gitops-repo-'));
  git(repo, 'init', '--quiet', '--initial-branch', 'main');
  git(repo, 'config', 'user.email', 'ci@example.invalid');
  git(repo, 'config', 'user.name', 'ci');
  fs.writeFileSync(path.join(repo, 'Pulumi.yaml'), `name: ${PROJECT}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nconfig:\n  tfgrid:network:\n    value: local\n`);
  fs.copyFileSync(path.join(ROOT, 'examples', 'zdb', 'tsconfig.json'), path.join(repo, 'tsconfig.json'));
  fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: PROJECT, private: true, main: 'index.ts' }, null, 2));
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\npreview.txt\n');
  fs.writeFileSync(path.join(repo, 'index.ts'), program([]));
  // What the README's "start" says: the stack made once with the passphrase provider; its salt is committed.
  pulumi(['stack', 'init', 'ci', '--secrets-provider', 'passphrase']);
  expect(fs.readFileSync(path.join(repo, 'Pulumi.ci.yaml'), 'utf8')).toMatch(/^encryptionsalt: v1:/m);
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'an empty stack');
});

afterAll(async () => {
  for (const dir of [repo, deps, ...runners]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (backend) fs.rmSync(backend, { recursive: true, force: true });
});

describe('examples/gitops/pipeline.sh: merges through fresh runners, state in a backend that outlives them', () => {
  it('create, change (two failed runs, finished by the next), delete: the chain holds what the last commit declares', async () => {
    // 1. create: a on node 1, b on node 2
    const one = await merge('pr-create', [
      { name: 'a', node: 1, size: '1GiB' },
      { name: 'b', node: 2, size: '1GiB' },
    ]);
    expect(one.preview.preview).toMatch(/create\s+tfgrid:Zdb a/);
    expect(one.preview.preview).toMatch(/create\s+tfgrid:Zdb b/);
    expect(await chainView()).toEqual({ contracts: [], nodes: [] }); // a preview creates nothing
    const up1 = await pipeline('up', 'main');
    expect(up1.code).toBe(0);
    await expectDeclared(['a', 'b'], [1, 2]);

    // 2. change: a grows, c is added on node 3
    const two = await merge('pr-change', [
      { name: 'a', node: 1, size: '2GiB' },
      { name: 'b', node: 2, size: '1GiB' },
      { name: 'c', node: 'cNode', size: '1GiB' },
    ]);
    expect(two.preview.preview).toMatch(/update\s+tfgrid:Zdb a/);
    expect(two.preview.preview).toMatch(/create\s+tfgrid:Zdb c/);
    expect(two.preview.preview).toMatch(/size\W+1GiB\W+=>\W+2GiB/); // the diff names the change
    expect(two.preview.preview).not.toMatch(/(create|update|replace|delete)\s+tfgrid:Zdb b/);

    // the first up of this merge fails: on that runner only, c points at a node id the grid does not have (the
    // provider's check refuses it before anything is deployed)
    const noNode = await pipeline('up', 'main', (dir) => setRunnerConfig(dir, { [`${PROJECT}:cNode`]: '999' }));
    expect(noNode.code).not.toBe(0);
    expect(noNode.output).toMatch(/node 999/);
    await expectConsistent();
    // the second fails later: on that runner, node 3 answers everything but the deployment itself (a relay in
    // front of the grid's drops it), after the chain accepted the new contract
    const relay = await startDroppingRelay(grid.relay!.url, 'zos.deployment.deploy');
    const noAnswer = await pipeline('up', 'main', (dir) => setRunnerConfig(dir, { 'tfgrid:relayUrls': JSON.stringify([relay.url]), 'tfgrid:rmbTimeout': '5', 'tfgrid:deployTimeout': '20' })).finally(
      () => relay.close(),
    );
    expect(relay.dropped()).toBeGreaterThan(0); // the run got as far as sending the deployment: its contract existed
    expect(noAnswer.code).not.toBe(0);
    await expectConsistent();

    const up2 = await pipeline('up', 'main'); // the next run, on a fresh runner, finishes the job
    expect(up2.code).toBe(0);
    const s2 = await expectDeclared(['a', 'b', 'c'], [1, 2, 3]);
    expect(s2.sizes).toEqual({ a: '2GiB', b: '1GiB', c: '1GiB' });

    // 3. delete b
    const three = await merge('pr-delete', [
      { name: 'a', node: 1, size: '2GiB' },
      { name: 'c', node: 'cNode', size: '1GiB' },
    ]);
    expect(three.preview.preview).toMatch(/delete\s+tfgrid:Zdb b/);
    expect(three.preview.preview).not.toMatch(/(create|update|replace)\s+tfgrid:Zdb/);
    const up3 = await pipeline('up', 'main');
    expect(up3.code).toBe(0);
    await expectDeclared(['a', 'c'], [1, 3]);

    // the runners are gone; the state and the repository are all that carried the stack from run to run
    for (const dir of runners) expect(fs.existsSync(dir)).toBe(false);
    const again = await pipeline('preview', 'main');
    expect(again.preview).not.toMatch(/^\s+(create|update|replace|delete)\s+tfgrid:/m);

    expect((await pipeline('destroy', 'main')).code).toBe(0);
    expect(stackState().names).toEqual([]);
    expect((await chainView()).contracts).toEqual([]);
  });
});
