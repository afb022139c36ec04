/**
 * The `tfgrid` command: a composition root. Each area registers its verbs from `cli/commands/<area>.ts`
 * (listed in `cli/commands/index.ts`). Errors end here (docs/style.md §4): one line, exit 2 for input the
 * user can fix, 1 otherwise, the stack only under `--debug`. The exit codes are listed in `--help` (EXIT_CODES).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import { InputError, TfgridError } from '../protocol/common/errors';
import { COMMANDS } from './commands';

/** Every exit code a verb may end with; printed at the end of `tfgrid --help`. */
export const EXIT_CODES: Record<number, string> = {
  0: 'done',
  1: 'failed: a node, the chain, the relay or the Pulumi program said no (its text is printed)',
  2: 'bad input or usage: fix the command line or the file it names',
  3: '`tfgrid local status`: the local grid is not running',
};

/** The version of the package this CLI belongs to (the nearest package.json above this file, source or dist). */
export function cliVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const v: unknown = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version;
      return typeof v === 'string' ? v : 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('tfgrid')
    .description('pulumi-tfgrid: local ThreeFold grid, node runtime and protocol tools')
    .version(cliVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'print stack traces on errors')
    .addHelpText(
      'after',
      `\nExit codes:\n${Object.entries(EXIT_CODES)
        .map(([c, what]) => `  ${c}  ${what}`)
        .join('\n')}\n`,
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const debug = argv.includes('--debug');
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tfgrid: ${msg}\n`);
    if (err instanceof TfgridError && err.context.fix && !msg.includes(err.context.fix)) {
      process.stderr.write(`  fix: ${err.context.fix}\n`);
    }
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return err instanceof InputError ? 2 : 1;
  }
}
