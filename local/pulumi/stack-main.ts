/**
 * The child process that runs one Pulumi operation (local/pulumi/run-stack.ts starts it; one process per run).
 * It drives the real Pulumi CLI through the Automation API with an inline program: the SDK's own in-process
 * language server runs the project's program (this process loaded it, TypeScript through @swc-node/register) and
 * `pulumi up --client=…` runs the engine, the checkpoint and the dynamic-provider plugin. A process of its own per
 * run because a Node program can only be loaded (and register its resources) once per process, and the SDK's
 * runtime state is global.
 *
 * Protocol: the request (JSON, `runRequestSchema`) on stdin; messages (JSON lines, `StackMessage`) on fd 3:
 * the CLI's output as it comes, engine events, then one `result`. The program's own console output is this
 * process's stdout/stderr.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import type * as automation from '@pulumi/pulumi/automation';
import type * as pulumiRuntime from '@pulumi/pulumi/runtime';
import { programEntry } from './program-entry';

export const runRequestSchema = z.object({
  programDir: z.string(),
  project: z.string(),
  stack: z.string(),
  mode: z.enum(['up', 'preview', 'refresh', 'destroy']),
  /** Install root of the CLI (`PulumiCommand.get({ root })`); absent: `pulumi` on PATH. */
  cliRoot: z.string().optional(),
  /** Environment of every CLI run (PULUMI_HOME, backend, passphrase, …). */
  env: z.record(z.string()),
  /** Stack config written to `Pulumi.<stack>.yaml` before the run (fully qualified keys). */
  config: z.record(z.object({ value: z.string(), secret: z.boolean() })),
  /** Program config used when the stack's config has no value (the grid's flists: they follow the running grid). */
  programDefaults: z.record(z.string()),
  /** Program config of this run only, over the stack's values (never saved). */
  programOverrides: z.record(z.string()),
  /** `--target` URNs, `--target-dependents`, `--parallel`, `refresh --clear-pending-creates` (all optional). */
  target: z.array(z.string()).optional(),
  targetDependents: z.boolean().optional(),
  parallel: z.number().int().positive().optional(),
  clearPendingCreates: z.boolean().optional(),
});
export type RunRequest = z.infer<typeof runRequestSchema>;

export type StackMessage =
  | { kind: 'output'; text: string }
  | { kind: 'event'; event: unknown }
  | { kind: 'result'; ok: boolean; outputs: Record<string, unknown>; secretOutputs: string[]; failure?: string };

function send(msg: StackMessage): void {
  fs.writeSync(3, JSON.stringify(msg) + '\n');
}

/** What Pulumi's Node.js language host does with a program's module: its exports (or default function's result). */
async function loadProgram(dir: string): Promise<Record<string, unknown>> {
  const mod = require(programEntry(dir)) as Record<string, unknown> | undefined;
  if (mod && typeof mod.default === 'function') return ((await (mod.default as () => unknown)()) ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(mod ?? {})) if (k !== '__esModule') out[k] = v;
  return out;
}

async function run(req: RunRequest): Promise<void> {
  // The program and the automation server must share one @pulumi/pulumi: the project's.
  const fromProject = (id: string): string => require.resolve(id, { paths: [req.programDir] });
  const auto = require(fromProject('@pulumi/pulumi/automation')) as typeof automation;
  const runtime = require(fromProject('@pulumi/pulumi/runtime')) as typeof pulumiRuntime;

  const program = async () => {
    for (const [k, v] of Object.entries(req.programDefaults)) if (runtime.getConfig(k) === undefined) runtime.setConfig(k, v);
    for (const [k, v] of Object.entries(req.programOverrides)) runtime.setConfig(k, v);
    return loadProgram(req.programDir);
  };
  const pulumiCommand = await auto.PulumiCommand.get({ ...(req.cliRoot ? { root: req.cliRoot } : {}), skipVersionCheck: true });
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName: req.stack, projectName: req.project, program },
    { workDir: req.programDir, envVars: req.env, pulumiHome: req.env.PULUMI_HOME, pulumiCommand },
  );
  if (Object.keys(req.config).length > 0) await stack.setAllConfig(req.config);

  // SIGINT here (a user's Ctrl-C reaches the whole process group) is passed to the CLI as the Automation API does
  // on abort: the CLI's own SIGINT handling (finish the steps under way, write the checkpoint) then ends the run.
  const abort = new AbortController();
  process.on('SIGINT', () => abort.abort());
  const stream = {
    onOutput: (text: string) => send({ kind: 'output', text }),
    onEvent: (event: unknown) => send({ kind: 'event', event }),
    signal: abort.signal,
    ...(req.target ? { target: req.target } : {}),
    ...(req.targetDependents ? { targetDependents: true } : {}),
    ...(req.parallel ? { parallel: req.parallel } : {}),
  };
  const secretOutputsOf = (o: automation.OutputMap) =>
    Object.entries(o)
      .filter(([, v]) => v.secret)
      .map(([k]) => k);
  const valuesOf = (o: automation.OutputMap) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
  let outputs: automation.OutputMap = {};
  if (req.mode === 'up') outputs = (await stack.up({ ...stream, color: 'never' })).outputs;
  else if (req.mode === 'preview') {
    await stack.preview({ ...stream, color: 'never', diff: true });
    outputs = await stack.outputs();
  } else if (req.mode === 'refresh') {
    await stack.refresh({ ...stream, color: 'never', ...(req.clearPendingCreates ? { clearPendingCreates: true } : {}) });
    outputs = await stack.outputs();
  } else await stack.destroy({ ...stream, color: 'never' });
  send({ kind: 'result', ok: true, outputs: valuesOf(outputs), secretOutputs: secretOutputsOf(outputs) });
}

if (require.main === module) {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    const req = runRequestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    process.chdir(path.resolve(req.programDir));
    run(req).then(
      () => process.exit(0),
      (err: unknown) => {
        // CommandError carries the CLI's stdout and stderr; the events already told the resources' errors.
        send({ kind: 'result', ok: false, outputs: {}, secretOutputs: [], failure: err instanceof Error ? err.message : String(err) });
        process.exit(0);
      },
    );
  });
}
