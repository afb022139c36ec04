/**
 * Helpers of the real-engine tests (issue 21): runs of test/e2e/programs/engine-options through the real Pulumi CLI
 * (local/grid/example-runner), the CLI itself for what needs no program (`stack export/import`, `cancel`), and the
 * twin's contracts on the chain. Each test file makes its own funded user (`fileUser`): files run in parallel.
 * @module
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { createChainClient, type Contract } from '../../protocol/chain';
import { findPulumiCli, pulumiEnv } from '../../local/pulumi/cli-env';
import { addGridUser } from '../../local/grid/grid';
import type { ExampleRunOptions, ExampleRunResult } from '../../local/grid/example-runner';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir } from './shared-grid';

export const OPTIONS_PROGRAM = path.join(__dirname, 'programs', 'engine-options');
export const PROJECT = 'tfgrid-test-engine-options';

/** Fails loudly (never skips) without the CLI: `make pulumi` builds it. */
export function requireCli(): void {
  findPulumiCli();
}

export interface FileUser {
  mnemonic: string;
  twinId: number;
}

export function newUser(): Promise<FileUser> {
  return addGridUser(e2eGridDir());
}

export interface RunArgs {
  stack: string;
  mode?: ExampleRunOptions['mode'];
  config?: Record<string, string>;
  programDir?: string;
  stackOptions?: ExampleRunOptions['stackOptions'];
}

/** One run as `user`; never throws for a failed run (tests look at `ok` and `errors`). */
export async function run(grid: GridState, user: FileUser, a: RunArgs): Promise<ExampleRunResult> {
  const { runExample } = await import('../../local/grid/example-runner');
  return runExample({
    programDir: a.programDir ?? OPTIONS_PROGRAM,
    grid,
    mode: a.mode ?? 'up',
    stack: a.stack,
    config: { ...a.config, 'tfgrid:mnemonic': user.mnemonic },
    stackOptions: a.stackOptions,
  });
}

/** `run`, throwing with the errors and the log's tail when it failed. */
export async function runOk(grid: GridState, user: FileUser, a: RunArgs): Promise<ExampleRunResult> {
  const r = await run(grid, user, a);
  if (!r.ok) throw new Error(`${a.mode ?? 'up'} ${a.stack} failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-3000)}`);
  return r;
}

/** The `pulumi` CLI itself with the grid's environment, in the program's directory: stdout, or throws with stderr. */
export function pulumiCli(grid: GridState, args: string[], opts: { programDir?: string; input?: string } = {}): Promise<string> {
  const cli = findPulumiCli();
  return new Promise((resolve, reject) => {
    const child = execFile(
      path.join(cli.binDir, 'pulumi'),
      [...args, '--non-interactive'],
      { cwd: opts.programDir ?? OPTIONS_PROGRAM, env: { ...process.env, ...pulumiEnv(cli, grid.dir) }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`pulumi ${args.join(' ')}: ${stderr || err.message}\n${stdout}`)) : resolve(stdout)),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The twin's contracts that are not deleted. */
export async function twinContracts(grid: GridState, twinId: number): Promise<Contract[]> {
  const chain = await createChainClient({ urls: [grid.chain!.url] });
  try {
    return await chain.getTwinActiveContracts(twinId);
  } finally {
    await chain.close();
  }
}

/** The resource ops of the engine's events, in order: `[op, name]` for each resourcePreEvent of a user resource. */
export function preOps(r: ExampleRunResult): [string, string][] {
  const out: [string, string][] = [];
  for (const e of r.events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || m.type === 'pulumi:pulumi:Stack' || m.type.startsWith('pulumi:providers:')) continue;
    out.push([m.op, m.urn.slice(m.urn.lastIndexOf('::') + 2)]);
  }
  return out;
}

/** Index of the first event matching `pred` (-1 when none). */
export function eventIndex(r: ExampleRunResult, pred: (e: Record<string, unknown>) => boolean): number {
  return r.events.findIndex((e) => pred(e as unknown as Record<string, unknown>));
}
