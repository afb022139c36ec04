/**
 * Running system commands (`ip`, `nsenter`) for the local grid's topology. One injected function so tests
 * and callers can log or wrap every command; errors carry the command line and its stderr.
 * DESIGN.md §4 "Local grid topology"; machine.md "Rules for anything that touches the host".
 * @module
 */
import { execFile } from 'child_process';
import { InternalError, TfgridError } from '../../protocol/common/errors';

/** Runs `cmd args…`, resolves with stdout, rejects with a TfgridError naming the command and its stderr. */
export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

export class CommandError extends TfgridError {}

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const line = [cmd, ...args].join(' ');
      const text = (stderr || err.message).trim();
      reject(new CommandError(`${line}: ${text}`, { command: line, stderr: text }, { cause: err }));
    });
  });

/** Asserts a name fits Linux's 15-byte interface/namespace conventions we rely on. */
export function assertIfName(name: string): string {
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(name)) {
    throw new InternalError(`interface name "${name}" is not 1-15 characters of [a-zA-Z0-9_.-]`);
  }
  return name;
}
