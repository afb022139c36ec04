/**
 * Runs a Pulumi project (an `examples/` one, or a user's) against the local grid through the real Pulumi CLI
 * (local/pulumi: the Automation API with an inline program, a file backend and PULUMI_HOME under the grid's
 * directory). What the run takes from the grid:
 * - the grid's user mnemonic (or this run's `-c tfgrid:mnemonic=…`) is set as a secret in the project's
 *   `Pulumi.<stack>.yaml`, encrypted by the passphrase secrets provider, as `pulumi config set --secret` does;
 * - the chain, relay and grid proxy URLs follow the running grid: they reach the provider through its environment
 *   (`TFGRID_CHAIN_URLS`, `TFGRID_RELAY_URLS`, `TFGRID_GRID_PROXY_URL`, `TFGRID_LOCAL_DIR`), never the stack's
 *   file (whose values win);
 * - the hub's flists (`<project>:flist`, `vmFlist`, `tlsFlist`) are program defaults, used when the stack's
 *   config has none;
 * - this run's `config`: provider keys (`tfgrid:*`) are set in `Pulumi.<stack>.yaml` (the engine hands the plugin
 *   only the stack's config); the program's own keys (`<project>:size`) are given to this run's program only,
 *   over the file's values, and never saved (`tfgrid local deploy -c` saves them itself, as `pulumi up -c` does).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';
import { failureTexts } from '../pulumi/failure-texts';
import { runStack, type StackRunOptions, type StackRunResult } from '../pulumi/run-stack';
import type { GridState } from './state';
import { qualifyConfigKey } from './stack-config-file';

export { failureTexts };

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type ExampleMode = 'up' | 'preview' | 'refresh' | 'destroy';

export interface ExampleRunOptions {
  /** The project's directory (holding Pulumi.yaml). */
  programDir: string;
  grid: GridState;
  mode: ExampleMode;
  stack?: string;
  /** This run's config (`key` → value; the project prefix is added to bare keys): see the module comment. */
  config?: Record<string, string>;
  /** The CLI's progress and the program's output, as it comes (`tfgrid local deploy` streams it). */
  onOutput?: (text: string) => void;
  /** Passed to the run as they are (local/pulumi/run-stack.ts). */
  stackOptions?: Pick<StackRunOptions, 'target' | 'targetDependents' | 'parallel' | 'clearPendingCreates' | 'onSpawn' | 'env'>;
}

/**
 * `steps`: one per resource, from the engine's events (a preview's planned steps, up's applied ones; `op` as the
 * engine names it, a replacement as one `replace`; `type` e.g. `tfgrid:ZMachine`). `log`: the CLI's own output.
 */
export interface ExampleRunResult extends StackRunResult {
  via: 'pulumi-cli';
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

/** Config keys that are secrets: set encrypted (`secure: v1:…`) in the stack's file. */
export const SECRET_CONFIG_KEYS = ['tfgrid:mnemonic'] as const;

export interface GridRunConfig {
  /** Set in `Pulumi.<stack>.yaml` before the run (fully qualified keys). */
  config: Record<string, { value: string; secret: boolean }>;
  /** Program config used when the stack has no value (the hub's flists). */
  programDefaults: Record<string, string>;
  /** Program config of this run only, over the stack's values. */
  programOverrides: Record<string, string>;
  /** For the CLI and the provider plugin it starts: the running grid's endpoints. */
  env: Record<string, string>;
}

/** What a run against `grid` sets (see the module comment); `extra` is this run's `-c`. */
export function gridRunConfig(grid: GridState, project: string, extra: Record<string, string> = {}): GridRunConfig {
  if (!grid.chain || !grid.relay || !grid.user) {
    throw new InputError('the local grid is not fully up (no chain, relay or user in its state)', { fix: 'run `tfgrid local up`' });
  }
  const programDefaults: Record<string, string> = {};
  if (grid.baseFlist) programDefaults[`${project}:flist`] = grid.baseFlist;
  if (grid.vmFlist) programDefaults[`${project}:vmFlist`] = grid.vmFlist;
  if (grid.tlsServerFlist) programDefaults[`${project}:tlsFlist`] = grid.tlsServerFlist;
  const isSecret = (k: string) => (SECRET_CONFIG_KEYS as readonly string[]).includes(k);
  const config: GridRunConfig['config'] = { 'tfgrid:mnemonic': { value: grid.user.mnemonic, secret: true } };
  const programOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) {
    const key = qualifyConfigKey(project, k);
    if (key.startsWith('tfgrid:')) config[key] = { value: v, secret: isSecret(key) };
    else programOverrides[key] = v;
  }
  // The proxy too: with chain URLs in the environment the provider no longer takes the local grid's proxy from the
  // state file (grid-connection.ts), and NodePicker's rental filters need one.
  const proxy: Record<string, string> = grid.gridProxy ? { TFGRID_GRID_PROXY_URL: grid.gridProxy.url } : {};
  const env = { TFGRID_LOCAL_DIR: grid.dir, TFGRID_CHAIN_URLS: grid.chain.url, TFGRID_RELAY_URLS: grid.relay.url, ...proxy };
  return { config, programDefaults, programOverrides, env };
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

export async function runExample(opts: ExampleRunOptions): Promise<ExampleRunResult> {
  const project = projectName(opts.programDir);
  const stack = opts.stack ?? 'dev';
  linkCheckoutSdk(opts.programDir);
  const run = gridRunConfig(opts.grid, project, opts.config);
  const { env, ...more } = opts.stackOptions ?? {};
  const r = await runStack({ programDir: opts.programDir, project, stack, mode: opts.mode, gridDir: opts.grid.dir, ...run, env: { ...run.env, ...env }, onOutput: opts.onOutput, ...more });
  return { via: 'pulumi-cli', ...r };
}
