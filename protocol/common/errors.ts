/**
 * One error family for the whole project (docs/style.md §4): the kind decides behaviour, the message
 * explains (what failed, where, why, the fix). Node texts travel unchanged in `context.nodeMessage`.
 * @module
 */

/** Keys that help a reader find the thing that failed. Add fields freely; never rename. */
export interface ErrorContext {
  /** Field path of a bad input, e.g. `mounts[0].mountpoint`. */
  path?: string;
  /** What the user should do. */
  fix?: string;
  /** Text a ZOS node replied, verbatim. */
  nodeMessage?: string;
  node?: number;
  twin?: number;
  contract?: number | bigint;
  version?: number;
  /** Chain pallet and error name, e.g. `smartContractModule` / `ContractIsNotUnique`. */
  module?: string;
  error?: string;
  [key: string]: unknown;
}

export class TfgridError extends Error {
  constructor(
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** Bad input the user can fix: `context.path`, `context.fix`. */
export class InputError extends TfgridError {}
/** A node said no: `context.nodeMessage` holds its text verbatim. */
export class ZosError extends TfgridError {}
/** An extrinsic or chain query failed: `context.module`, `context.error`. */
export class ChainError extends TfgridError {}
/** Transport: timeout, relay refused, remote error reply. */
export class RmbError extends TfgridError {}
/** Someone else moved a deployment's version: re-read and retry. */
export class ConflictError extends TfgridError {}
/** Our bug. */
export class InternalError extends TfgridError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(`${message}; this is a bug in pulumi-tfgrid, please report this`, context, options);
  }
}

/** The text of any thrown value, for wrapping (`${context}: ${errorText(err)}`). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
