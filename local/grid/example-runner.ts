/**
 * Runs an `examples/` Pulumi program against the local grid (DESIGN.md §5): through the Pulumi CLI when a
 * `pulumi` binary is on PATH, otherwise through the test-only engine (test/engine: the SDK's own program runner,
 * the real dynamic-provider plugin, a JSON state file). Which one ran is part of the result and is printed by
 * `make quickstart`. The stack config comes from the grid's state file: chain and relay URLs, the funded user's
 * mnemonic (secret), the hub's base flist (`<project>:flist`) and VM flist (`<project>:vmFlist`) and TLS server flist (`<project>:tlsFlist`).
 * @module
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError, TfgridError } from '../../protocol/common/errors';
import type { GridState } from './state';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type ExampleMode = 'up' | 'preview' | 'refresh' | 'destroy';

export interface ExampleRunOptions {
  /** The example's directory (holding Pulumi.yaml). */
  programDir: string;
  grid: GridState;
  mode: ExampleMode;
  stack?: string;
  /** Extra project config (`key` → value, the project prefix is added). */
  config?: Record<string, string>;
  /** Where the test engine keeps the stack's state (default `<grid dir>/stacks/<project>.<stack>.json`). */
  stateFile?: string;
  /** `auto` (default): the CLI when on PATH, else the test engine. */
  via?: 'auto' | 'pulumi-cli' | 'test-engine';
}

export interface ExampleRunResult {
  via: 'pulumi-cli' | 'test-engine';
  ok: boolean;
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  steps: { op: string; type: string; name: string }[];
  errors: string[];
  log: string;
}

const pulumiYamlSchema = z.object({ name: z.string().min(1) }).passthrough();

export function projectName(programDir: string): string {
  const file = path.join(programDir, 'Pulumi.yaml');
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: cannot read the Pulumi project file`, { path: file }, { cause: err });
  }
  const r = pulumiYamlSchema.safeParse(raw);
  if (!r.success) throw new InputError(`${file}: no project name`, { path: file });
  return r.data.name;
}

/** The stack config a program needs to deploy to this grid (fully qualified keys) and which keys are secret. */
export function gridStackConfig(grid: GridState, project: string, extra: Record<string, string> = {}): { config: Record<string, string>; secret: string[] } {
  if (!grid.chain || !grid.relay || !grid.user) {
    throw new InputError('the local grid is not fully up (no chain, relay or user in its state)', { fix: 'run `tfgrid local up`' });
  }
  const config: Record<string, string> = {
    'tfgrid:network': 'local',
    'tfgrid:chainUrls': grid.chain.url,
    'tfgrid:relayUrls': grid.relay.url,
    'tfgrid:mnemonic': grid.user.mnemonic,
  };
  if (grid.baseFlist) config[`${project}:flist`] = grid.baseFlist;
  if (grid.vmFlist) config[`${project}:vmFlist`] = grid.vmFlist;
  if (grid.tlsServerFlist) config[`${project}:tlsFlist`] = grid.tlsServerFlist;
  for (const [k, v] of Object.entries(extra)) config[k.includes(':') ? k : `${project}:${k}`] = v;
  return { config, secret: ['tfgrid:mnemonic'] };
}

export function hasPulumiCli(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v pulumi'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * In a source checkout `pulumi-tfgrid` is not installed in the example: link it to this checkout's SDK (the
 * program runs TypeScript through @swc-node/register). `node_modules/` of examples is git-ignored; an
 * `npm install` in the example replaces the link with the real package.
 */
export function linkCheckoutSdk(programDir: string): void {
  const pkgDir = path.join(programDir, 'node_modules', 'pulumi-tfgrid');
  const marker = path.join(pkgDir, '.tfgrid-checkout-link');
  if (fs.existsSync(pkgDir) && !fs.existsSync(marker)) return; // a real install: leave it
  fs.mkdirSync(pkgDir, { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'pulumi-tfgrid', main: 'index.js' }) + '\n');
  fs.writeFileSync(
    path.join(pkgDir, 'index.js'),
    `// Written by local/grid/example-runner.ts: this checkout's SDK, compiled on load.\nrequire('@swc-node/register');\nmodule.exports = require(${JSON.stringify(path.join(REPO_ROOT, 'sdk', 'index.ts'))});\n`,
  );
  fs.writeFileSync(marker, '');
}

/** The plugin-side module the provider shims load in a source checkout (see provider/shim.ts). */
function providerModule(programDir: string): string {
  const file = path.join(programDir, 'node_modules', 'pulumi-tfgrid', 'provider-entry.js');
  fs.writeFileSync(file, `require('@swc-node/register');\nmodule.exports = require(${JSON.stringify(path.join(REPO_ROOT, 'provider', 'dynamic-entry.ts'))});\n`);
  return file;
}

async function viaTestEngine(opts: ExampleRunOptions, project: string, stack: string): Promise<ExampleRunResult> {
  // Loaded lazily: the engine is test tooling, needed only when there is no Pulumi CLI.
  const engine = await import('../../test/engine/engine');
  linkCheckoutSdk(opts.programDir);
  const { config, secret } = gridStackConfig(opts.grid, project, opts.config);
  const engineOpts = {
    programDir: opts.programDir,
    project,
    stack,
    stateFile: opts.stateFile ?? path.join(opts.grid.dir, 'stacks', `${project}.${stack}.json`),
    config,
    secretConfig: secret,
    pluginCwd: opts.programDir,
    pluginEnv: { TFGRID_PROVIDER_MODULE: providerModule(opts.programDir) },
  };
  const r =
    opts.mode === 'destroy'
      ? await engine.destroy(engineOpts)
      : opts.mode === 'refresh'
        ? await engine.refresh(engineOpts)
        : await engine.up(engineOpts, { preview: opts.mode === 'preview' });
  return {
    via: 'test-engine',
    ok: r.ok,
    outputs: r.outputs,
    secretOutputs: r.secretOutputs,
    steps: r.steps.map((s) => ({ op: s.op, type: s.type, name: s.name })),
    errors: r.errors,
    log: r.log,
  };
}

function viaCli(opts: ExampleRunOptions, project: string, stack: string): ExampleRunResult {
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? '', PULUMI_SKIP_UPDATE_CHECK: 'true' };
  let log = '';
  const run = (args: string[]) => {
    const r = spawnSync('pulumi', [...args, '--non-interactive'], { cwd: opts.programDir, env, encoding: 'utf8' });
    log += `$ pulumi ${args.join(' ')}\n${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new TfgridError(`pulumi ${args[0]} failed for ${project}/${stack}:\n${r.stderr.trim()}`);
    return r.stdout;
  };
  try {
    run(['stack', 'select', '--create', stack]);
    const { config, secret } = gridStackConfig(opts.grid, project, opts.config);
    for (const [k, v] of Object.entries(config)) run(['config', 'set', ...(secret.includes(k) ? ['--secret'] : []), k, v]);
    if (opts.mode === 'preview') run(['preview']);
    else if (opts.mode === 'refresh') run(['refresh', '--yes']);
    else if (opts.mode === 'destroy') run(['destroy', '--yes']);
    else run(['up', '--yes', '--skip-preview']);
    const outputs = opts.mode === 'destroy' ? {} : (JSON.parse(run(['stack', 'output', '--json'])) as Record<string, unknown>);
    return { via: 'pulumi-cli', ok: true, outputs, secretOutputs: [], steps: [], errors: [], log };
  } catch (err) {
    return { via: 'pulumi-cli', ok: false, outputs: {}, secretOutputs: [], steps: [], errors: [(err as Error).message], log };
  }
}

export async function runExample(opts: ExampleRunOptions): Promise<ExampleRunResult> {
  const project = projectName(opts.programDir);
  const stack = opts.stack ?? 'dev';
  const via = opts.via && opts.via !== 'auto' ? opts.via : hasPulumiCli() ? 'pulumi-cli' : 'test-engine';
  return via === 'pulumi-cli' ? viaCli(opts, project, stack) : viaTestEngine(opts, project, stack);
}
