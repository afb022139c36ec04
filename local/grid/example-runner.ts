/**
 * Runs an `examples/` Pulumi program against the local grid (DESIGN.md §5): through the Pulumi CLI when a
 * `pulumi` binary is on PATH, otherwise through the test-only engine (test/engine: the SDK's own program runner,
 * the real dynamic-provider plugin, a JSON state file). Which one ran is part of the result and is printed by
 * `make quickstart`. The stack config comes from the grid's state file: chain and relay URLs, the funded user's
 * mnemonic (secret), the hub's base flist (`<project>:flist`) and VM flist (`<project>:vmFlist`) and TLS server flist
 * (`<project>:tlsFlist`); and from the stack's own `Pulumi.<stack>.yaml` (stack-config-file.ts), as the CLI reads it.
 * @module
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError, TfgridError } from '../../protocol/common/errors';
import type { GridState } from './state';
import { qualifyConfigKey, readStackConfig } from './stack-config-file';

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

/** Config keys never written to a stack file by this tool: secrets travel per run (the grid's user mnemonic). */
export const SECRET_CONFIG_KEYS = ['tfgrid:mnemonic'] as const;

/**
 * The stack config a program needs to deploy to this grid (fully qualified keys) and which keys are secret.
 * Precedence, lowest first: the grid's flists (`<project>:flist`, …), the stack's own config (`stored`, from
 * `Pulumi.<stack>.yaml`), the grid's connection (network, chain, relay, user mnemonic: they follow the running
 * grid), then `extra` (this run's `-c`).
 */
export function gridStackConfig(
  grid: GridState,
  project: string,
  extra: Record<string, string> = {},
  stored: Record<string, string> = {},
): { config: Record<string, string>; secret: string[] } {
  if (!grid.chain || !grid.relay || !grid.user) {
    throw new InputError('the local grid is not fully up (no chain, relay or user in its state)', { fix: 'run `tfgrid local up`' });
  }
  const config: Record<string, string> = {};
  if (grid.baseFlist) config[`${project}:flist`] = grid.baseFlist;
  if (grid.vmFlist) config[`${project}:vmFlist`] = grid.vmFlist;
  if (grid.tlsServerFlist) config[`${project}:tlsFlist`] = grid.tlsServerFlist;
  Object.assign(config, stored, {
    'tfgrid:network': 'local',
    'tfgrid:chainUrls': grid.chain.url,
    'tfgrid:relayUrls': grid.relay.url,
    'tfgrid:mnemonic': grid.user.mnemonic,
  });
  for (const [k, v] of Object.entries(extra)) config[qualifyConfigKey(project, k)] = v;
  return { config, secret: [...SECRET_CONFIG_KEYS] };
}

/** The stack's saved config for the test engine; a `secure:` value only the Pulumi CLI can decrypt must come per run. */
function storedConfig(opts: ExampleRunOptions, project: string, stack: string): Record<string, string> {
  const stored = readStackConfig(opts.programDir, stack);
  const given = new Set([...SECRET_CONFIG_KEYS, ...Object.keys(opts.config ?? {}).map((k) => qualifyConfigKey(project, k))]);
  const unreadable = stored.secure.filter((k) => !given.has(k));
  if (unreadable.length > 0) {
    throw new InputError(`${stored.file}: ${unreadable.join(', ')} ${unreadable.length === 1 ? 'is a secret' : 'are secrets'} encrypted by the Pulumi CLI, which the test engine cannot read`, {
      path: stored.file,
      fix: `give ${unreadable.length === 1 ? 'it' : 'them'} for this run: -c ${unreadable[0]}=…`,
    });
  }
  return stored.values;
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
 * program runs TypeScript through @swc-node/register). The link has the published package's shape where it
 * matters: `dist/provider/dynamic-entry.js` is what the provider shims `require()` in the plugin process
 * (provider/shim.ts), so checkout and installed package load the provider the same way, with no environment
 * override. `node_modules/` of examples is git-ignored; an `npm install` in the example replaces the link with
 * the real package (`make package`), which is then left alone.
 */
export function linkCheckoutSdk(programDir: string): void {
  const pkgDir = path.join(programDir, 'node_modules', 'pulumi-tfgrid');
  const marker = path.join(pkgDir, '.tfgrid-checkout-link');
  if (fs.existsSync(pkgDir) && !fs.existsSync(marker)) return; // a real install: leave it
  const compiledOnLoad = (source: string) =>
    `// Written by local/grid/example-runner.ts: this checkout's ${source}, compiled on load.\nrequire('@swc-node/register');\nmodule.exports = require(${JSON.stringify(path.join(REPO_ROOT, source))});\n`;
  fs.mkdirSync(path.join(pkgDir, 'dist', 'provider'), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'pulumi-tfgrid', main: 'index.js' }) + '\n');
  fs.writeFileSync(path.join(pkgDir, 'index.js'), compiledOnLoad('sdk/index.ts'));
  fs.writeFileSync(path.join(pkgDir, 'dist', 'provider', 'dynamic-entry.js'), compiledOnLoad('provider/dynamic-entry.ts'));
  fs.writeFileSync(marker, '');
}

async function viaTestEngine(opts: ExampleRunOptions, project: string, stack: string): Promise<ExampleRunResult> {
  // Loaded lazily: the engine is test tooling, needed only when there is no Pulumi CLI.
  const engine = await import('../../test/engine/engine');
  linkCheckoutSdk(opts.programDir);
  const { config, secret } = gridStackConfig(opts.grid, project, opts.config, storedConfig(opts, project, stack));
  const engineOpts = {
    programDir: opts.programDir,
    project,
    stack,
    stateFile: opts.stateFile ?? path.join(opts.grid.dir, 'stacks', `${project}.${stack}.json`),
    config,
    secretConfig: secret,
    pluginCwd: opts.programDir,
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
    errors: r.ok ? r.errors : failureTexts(r.errors, r.log),
    log: r.log,
  };
}

/** Lines of a program's output shown when the program itself failed (its stack or compiler error). */
const PROGRAM_TAIL_LINES = 20;

/**
 * What to show for a failed run: the engine's errors (resource failures, the program's error log), and when they
 * do not already carry it, the tail of the program's own output. A program that dies before it talks to the engine
 * (a module it cannot load, a syntax error, a throw at top level) leaves no error but its stderr, which must be
 * shown as it is (issue 18.4: the cause used to be dropped, leaving an empty line).
 */
export function failureTexts(errors: string[], programLog: string): string[] {
  const lines = programLog
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, '') // node colours its stack traces when it thinks a terminal reads them
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  const shown = errors.map((e) => e.trim()).filter((e) => e.length > 0);
  const missing = lines.filter((l) => !shown.some((e) => e.includes(l.trim())));
  if (missing.length === 0) return shown.length > 0 ? shown : ['the program failed without any output'];
  const tail = lines.slice(-PROGRAM_TAIL_LINES);
  const cut = lines.length > tail.length ? `(last ${tail.length} of ${lines.length} lines)` : '';
  return [...shown, `program output${cut ? ' ' + cut : ''}:`, ...tail.map((l) => `  ${l}`)];
}

function viaCli(opts: ExampleRunOptions, project: string, stack: string): ExampleRunResult {
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? '', PULUMI_SKIP_UPDATE_CHECK: 'true' };
  let log = '';
  const run = (args: string[]) => {
    const r = spawnSync('pulumi', [...args, '--non-interactive'], { cwd: opts.programDir, env, encoding: 'utf8' });
    log += `$ pulumi ${args.join(' ')}\n${r.stdout}${r.stderr}`;
    if (r.status !== 0) {
      // pulumi prints a failed program's diagnostics on stdout: show both, never an empty cause
      const text = failureTexts([], `${r.stdout}\n${r.stderr}`).join('\n');
      throw new TfgridError(`pulumi ${args[0]} failed for ${project}/${stack}:\n${text}`);
    }
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
