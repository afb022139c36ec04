/**
 * The `tfgrid` command: a composition root. Each area registers its verbs from `cli/commands/<area>.ts`
 * (listed in `cli/commands/index.ts`). Errors end here (docs/style.md §4): one line, exit 2 for input the
 * user can fix, 1 otherwise, the stack only under `--debug`.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { InputError, TfgridError } from '../protocol/common/errors';
import { COMMANDS } from './commands';

export function buildProgram(): Command {
  const program = new Command('tfgrid')
    .description('pulumi-tfgrid: local ThreeFold grid, node runtime and protocol tools')
    .option('--debug', 'print stack traces on errors')
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
