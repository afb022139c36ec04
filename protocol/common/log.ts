/**
 * Two output channels (docs/style.md §9): `Logger` (structured, for operators) and `Progress` (for a person
 * waiting). Library code takes them as dependencies and never writes to the console itself; composition
 * roots (cli/, local/) pick the sink.
 * @module
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line carries `fields` too. */
  child(fields: LogFields): Logger;
}

export interface Progress {
  /** The latest state of a long operation; replaces the previous one on a terminal. */
  update(msg: string): void;
  /** The operation ended; `msg` stays. */
  done(msg: string): void;
}

/** Field names whose values are never written anywhere (mnemonics, seeds, keys, passwords). */
const SECRET_FIELD = /mnemonic|seed|private|secret|password|passwd|keys?$|^key|token|jwt/i;

/** Replaces secret-looking fields by `[redacted]`, recursively. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k) && v !== undefined && v !== null && v !== '') out[k] = '[redacted]';
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error)) out[k] = redact(v as LogFields);
    else if (typeof v === 'bigint') out[k] = v.toString();
    else if (v instanceof Error) out[k] = v.message;
    else out[k] = v;
  }
  return out;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing one line per entry (`level msg {json fields}`) to `write`, secrets redacted. */
export function createLineLogger(write: (line: string) => void, opts: { level?: LogLevel; fields?: LogFields } = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const base = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    const all = redact({ ...base, ...fields });
    const tail = Object.keys(all).length ? ' ' + JSON.stringify(all) : '';
    write(`${new Date().toISOString()} ${level} ${msg}${tail}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLineLogger(write, { level: opts.level, fields: { ...base, ...f } }),
  };
}

/** Discards everything; for tests and library defaults. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

export const silentProgress: Progress = { update: () => {}, done: () => {} };
