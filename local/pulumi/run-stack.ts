/**
 * Runs one Pulumi operation (up, preview, refresh, destroy) on a project directory through the real Pulumi CLI
 * (issue 21: the product has one engine, Pulumi's). The work happens in a child process (stack-main.ts) that
 * drives the CLI through the Automation API with an inline program; this side sends the request, streams the
 * CLI's output, collects the engine events and returns steps, outputs and errors.
 * @module
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { TfgridError } from '../../protocol/common/errors';
import { findPulumiCli, pulumiEnv } from './cli-env';
import { failureTexts } from './failure-texts';
import { errorsOf, stepsOf, type EngineEventLike, type RunStep } from './engine-events';
import type { RunRequest, StackMessage } from './stack-main';

export type StackMode = RunRequest['mode'];

export interface StackRunOptions {
  programDir: string;
  project: string;
  stack: string;
  mode: StackMode;
  /** The grid's directory: PULUMI_HOME and the file backend live under it. */
  gridDir: string;
  /** Stack config set (and saved in `Pulumi.<stack>.yaml`) before the run; secrets encrypted by the CLI. */
  config?: Record<string, { value: string; secret: boolean }>;
  /** Program config used only when the stack has no value for the key. */
  programDefaults?: Record<string, string>;
  /** Program config of this run only, over the stack's values (never saved). */
  programOverrides?: Record<string, string>;
  /** Extra environment for the CLI and the plugin it starts. */
  env?: Record<string, string>;
  /** The CLI's progress and the program's own output, as it comes. */
  onOutput?: (text: string) => void;
  /** `--target`, `--target-dependents`, `--parallel`, `refresh --clear-pending-creates`. */
  target?: string[];
  targetDependents?: boolean;
  parallel?: number;
  clearPendingCreates?: boolean;
  /** The run's child process id (it passes a SIGINT on to the CLI, as Ctrl-C would). */
  onSpawn?: (pid: number) => void;
}

export interface StackRunResult {
  ok: boolean;
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  steps: RunStep[];
  errors: string[];
  /** The CLI's own output, then the program's. */
  log: string;
  /** The engine's events as they came (order of steps, diagnostics). */
  events: EngineEventLike[];
}

/** How the child runs: TypeScript through @swc-node/register in a checkout, compiled JavaScript otherwise. */
function childArgs(): string[] {
  const main = path.join(__dirname, `stack-main${path.extname(__filename)}`);
  return path.extname(__filename) === '.ts' ? ['-r', require.resolve('@swc-node/register'), main] : [main];
}

/** Lines of a failed CLI's text worth showing when the events named no error (the CLI itself failed). */
function cliFailureLines(failure: string): string[] {
  const lines = failure
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0 && !/^\s+at\s/.test(l));
  return lines.slice(-20);
}

export async function runStack(opts: StackRunOptions): Promise<StackRunResult> {
  const cli = findPulumiCli();
  const request: RunRequest = {
    programDir: path.resolve(opts.programDir),
    project: opts.project,
    stack: opts.stack,
    mode: opts.mode,
    cliRoot: cli.root,
    env: { ...pulumiEnv(cli, opts.gridDir), ...opts.env },
    config: opts.config ?? {},
    programDefaults: opts.programDefaults ?? {},
    programOverrides: opts.programOverrides ?? {},
    target: opts.target,
    targetDependents: opts.targetDependents,
    parallel: opts.parallel,
    clearPendingCreates: opts.clearPendingCreates,
  };
  let cliLog = '';
  let programLog = '';
  const events: EngineEventLike[] = [];
  let result: Extract<StackMessage, { kind: 'result' }> | undefined;

  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, childArgs(), {
      cwd: request.programDir,
      env: { ...process.env, ...request.env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const program = (d: Buffer) => {
      programLog += d.toString();
      opts.onOutput?.(d.toString());
    };
    child.stdout?.on('data', program);
    child.stderr?.on('data', program);
    let pending = '';
    const channel = child.stdio[3] as NodeJS.ReadableStream;
    channel.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const msg = JSON.parse(pending.slice(0, nl)) as StackMessage;
        pending = pending.slice(nl + 1);
        if (msg.kind === 'output') {
          cliLog += msg.text;
          opts.onOutput?.(msg.text);
        } else if (msg.kind === 'event') events.push(msg.event as EngineEventLike);
        else result = msg;
      }
    });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
    child.stdin?.end(JSON.stringify(request));
  });

  const log = cliLog + (programLog ? `\n--- program output ---\n${programLog}` : '');
  const steps = stepsOf(events);
  if (!result) {
    throw new TfgridError(`the Pulumi run of ${opts.project}/${opts.stack} died (exit ${code}) before it reported:\n${programLog.slice(-2000)}`);
  }
  if (result.ok) return { ok: true, outputs: result.outputs, secretOutputs: result.secretOutputs, steps, errors: [], log, events };
  const errors = errorsOf(events);
  const failure = cliFailureLines(result.failure ?? '');
  return {
    ok: false,
    outputs: {},
    secretOutputs: [],
    steps,
    errors: failureTexts(errors.length > 0 ? errors : failure, programLog),
    log,
    events,
  };
}
