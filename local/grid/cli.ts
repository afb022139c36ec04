/**
 * The `tfgrid local up|down|status|logs|reset` verbs (issue 7), registered on the `local` command that
 * `cli/commands/local.ts` creates (the chain verb lives there too). Progress goes to stderr as a spinner on a
 * terminal and plain lines in CI; results go to stdout.
 * @module
 */
import type { Command } from 'commander';
import { InputError, TfgridError } from '../../protocol/common/errors';
import { createLineLogger } from '../../protocol/common/log';
import { resetLocalGrid, startLocalGrid, stopLocalGrid, type BackendChoice } from './grid';
import { createProgressSink } from './progress-sink';
import { defaultGridDir, readState } from './state';
import { describeGrid, formatStatus, readLogs } from './status';
import { gridNotServing } from './heal';
import { projectName, runExample, SECRET_CONFIG_KEYS, type ExampleMode } from './example-runner';
import { qualifyConfigKey, setStackConfig, stackConfigPath } from './stack-config-file';
import * as path from 'path';

function parseIntOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${name} ${v}: expected an integer ${min}..${max}`, { path: name });
    return n;
  };
}

function parseBackend(v: string): BackendChoice {
  if (v === 'sim' || v === 'linux' || v === 'auto') return v;
  throw new InputError(`--backend ${v}: expected sim, linux or auto`, { path: '--backend' });
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** Adds the grid verbs to the `local` command. */
export function registerGridVerbs(local: Command): void {
  const dirOption = ['--dir <path>', 'grid directory (state, logs, node data); default $TFGRID_LOCAL_DIR or ~/.tfgrid/local'] as const;

  local
    .command('up')
    .description('start chain, relay, flist hub, DNS and N nodes, then print what runs where; on a running grid, start again only the daemons that died')
    .option('--nodes <n>', "number of nodes (default: the existing grid's, else 3)", parseIntOption('--nodes', 1, 200))
    .option('--light-nodes <n>', "how many of the nodes (the last ones) run as ZOS light nodes (default: the existing grid's, else 0)", parseIntOption('--light-nodes', 0, 200))
    .option('--backend <kind>', 'sim | linux | auto (linux when root with the tools)', parseBackend, 'auto' as BackendChoice)
    .option('--chain-port <port>', 'chain RPC port (default 8000 when free)', parseIntOption('--chain-port', 0, 65535))
    .option('--relay-port <port>', 'relay port (default 8080 when free)', parseIntOption('--relay-port', 0, 65535))
    .option('--hub-port <port>', 'flist hub port (default 8090 when free)', parseIntOption('--hub-port', 0, 65535))
    .option('--json', 'print the status as `tfgrid local status --json` does')
    .option(...dirOption)
    .action(async (o: { nodes?: number; lightNodes?: number; backend: BackendChoice; chainPort?: number; relayPort?: number; hubPort?: number; json?: boolean; dir?: string }) => {
      const progress = createProgressSink(process.stderr);
      const log = createLineLogger((l) => process.stderr.write(l + '\n'), { level: 'warn' });
      const state = await startLocalGrid({
        dir: o.dir,
        nodes: o.nodes,
        lightNodes: o.lightNodes,
        backend: o.backend,
        chainPort: o.chainPort,
        relayPort: o.relayPort,
        hubPort: o.hubPort,
        progress,
        log,
        announce: (l) => process.stderr.write(l + '\n'),
      });
      out(o.json ? JSON.stringify(describeGrid(state), null, 2) : formatStatus(describeGrid(state)));
    });

  local
    .command('status')
    .description('chain URL, relay URL and each node (id, twin, farm, public IPs, domain, light or not)')
    .option('--json', 'machine-readable output')
    .option(...dirOption)
    .action((o: { json?: boolean; dir?: string }) => {
      const state = readState(o.dir ?? defaultGridDir());
      if (!state) {
        if (o.json) out(JSON.stringify({ running: false }));
        else out('local grid: not running (start it with `tfgrid local up`)');
        process.exitCode = 3;
        return;
      }
      const st = describeGrid(state);
      out(o.json ? JSON.stringify(st, null, 2) : formatStatus(st));
      if (!st.running) process.exitCode = 3;
    });

  local
    .command('logs [name]')
    .description('print the logs of chain | relay | hub | dns | node<i> | <node id> (all when omitted)')
    .option('-n, --lines <n>', 'lines per log', parseIntOption('--lines', 1, 100000), 50)
    .option(...dirOption)
    .action((name: string | undefined, o: { lines: number; dir?: string }) => {
      const state = readState(o.dir ?? defaultGridDir());
      if (!state) throw new InputError('local grid: not running, no logs', { fix: 'start it with `tfgrid local up`' });
      out(readLogs(state, name, o.lines));
    });

  local
    .command('down')
    .description('stop every grid process by PID and remove its namespaces, interfaces, mounts and loop devices')
    .option(...dirOption)
    .action(async (o: { dir?: string }) => {
      const report = await stopLocalGrid({ dir: o.dir, progress: createProgressSink(process.stderr) });
      if (report.sweep.errors.length) {
        out(`left behind (clean by hand):\n  ${report.sweep.errors.join('\n  ')}`);
        process.exitCode = 1;
      }
    });

  local
    .command('reset')
    .description('down, then delete the grid directory (chain data, node data, logs)')
    .option(...dirOption)
    .action(async (o: { dir?: string }) => {
      await resetLocalGrid({ dir: o.dir, progress: createProgressSink(process.stderr) });
      out(`local grid reset (${o.dir ?? defaultGridDir()} removed)`);
    });

  local
    .command('deploy <program-dir>')
    .description('run a Pulumi project (e.g. examples/web-app) against the running grid through the Pulumi CLI (`make pulumi` builds it), streaming its progress')
    .option('--preview', 'only show what would change (the plan, with its diff)')
    .option('--refresh', 'read every resource back from the grid')
    .option('--destroy', 'delete everything the stack holds')
    .option('--stack <name>', 'stack name', 'dev')
    .option('-c, --config <key=value...>', 'stack config, saved in <program-dir>/Pulumi.<stack>.yaml as `pulumi config set` does (tfgrid:mnemonic encrypted, as `pulumi config set --secret`)')
    .option('--json', 'print {via, ok, steps, outputs, errors, configFile} as JSON on stdout (secret outputs as "[secret]"); the CLI\'s progress stays on stderr')
    .option(...dirOption)
    .action(async (programDir: string, o: { preview?: boolean; refresh?: boolean; destroy?: boolean; stack: string; config?: string[]; json?: boolean; dir?: string }) => {
      const state = readState(o.dir ?? defaultGridDir());
      const notServing = gridNotServing(state, o.dir);
      if (notServing || !state) throw notServing ?? new InputError('the local grid is not running');
      const mode: ExampleMode = o.destroy ? 'destroy' : o.refresh ? 'refresh' : o.preview ? 'preview' : 'up';
      const dir = path.resolve(programDir);
      const config: Record<string, string> = {};
      for (const kv of o.config ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new InputError(`--config ${kv}: expected key=value`, { path: '--config' });
        config[qualifyConfigKey(projectName(dir), kv.slice(0, i))] = kv.slice(i + 1);
      }
      // As `pulumi up -c` does: the values are saved in the stack's file before the run; secrets stay out of it.
      const saved = Object.fromEntries(Object.entries(config).filter(([k]) => !(SECRET_CONFIG_KEYS as readonly string[]).includes(k)));
      const configFile = Object.keys(saved).length > 0 ? setStackConfig(dir, o.stack, saved) : stackConfigPath(dir, o.stack);
      const progress = createProgressSink(process.stderr);
      if (Object.keys(saved).length > 0) progress.done(`config: ${Object.keys(saved).join(', ')} saved in ${configFile}`);
      progress.done(`${mode} ${dir} (stack ${o.stack}) through the Pulumi CLI`);
      // The CLI's own progress (and the plan of a preview) as it comes, on stderr: stdout stays the summary or JSON.
      const r = await runExample({ programDir: dir, grid: state, mode, stack: o.stack, config, onOutput: (t) => process.stderr.write(t) });
      const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, r.secretOutputs.includes(k) ? '[secret]' : v]));
      if (o.json) {
        out(JSON.stringify({ via: r.via, ok: r.ok, mode, steps: r.steps, outputs: mode === 'destroy' ? {} : outputs, errors: r.errors, configFile }, null, 2));
      } else {
        for (const s of r.steps) out(`  ${s.op.padEnd(8)} ${s.type} ${s.name}`);
      }
      if (!r.ok) {
        throw new TfgridError(`${mode} of ${dir} failed:\n  ${r.errors.join('\n  ')}`, { fix: deployFailureFix(r.errors, dir) });
      }
      if (!o.json && mode !== 'destroy' && mode !== 'preview') {
        out('Outputs:');
        for (const [k, v] of Object.entries(outputs)) out(`  ${k}: ${r.secretOutputs.includes(k) ? v : JSON.stringify(v)}`);
      }
    });
}

/** The next step after a failed deploy: the program's own failure, or what the grid did. */
export function deployFailureFix(errors: string[], dir: string): string {
  const text = errors.join('\n');
  if (/Cannot find module/.test(text)) {
    return `the program's modules resolve from ${dir}: run \`npm install\` there (@pulumi/pulumi; TypeScript runs through this checkout's @swc-node/register)`;
  }
  if (/^program output/m.test(text)) return 'fix the program: its own output is above';
  return "the node's text is at the end of each error; `tfgrid local logs node<i>` shows what the node did";
}
