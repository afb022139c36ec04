/**
 * Where `tfgrid local` shows progress (style.md §9): on a terminal, one line rewritten in place with a
 * spinner; in CI (`CI` set) or when output is not a TTY, one plain line per state change (a counter such
 * as "(12s)" changing is not a state change).
 * @module
 */
import type { Progress } from '../../protocol/common/log';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** True when progress should be a live line (a TTY and not CI). */
export function isInteractive(stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!stream.isTTY && !env.CI;
}

/** Drops a trailing elapsed-time counter so that plain mode prints a line per state, not per tick. */
function stateOf(msg: string): string {
  return msg.replace(/\s*\(\d+(\.\d+)?m?s\)\s*$/, '');
}

export function createProgressSink(stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): Progress {
  if (isInteractive(stream, env)) {
    let frame = 0;
    let shown = false;
    return {
      update(msg) {
        stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${msg}`);
        shown = true;
      },
      done(msg) {
        stream.write(`${shown ? '\r\x1b[2K' : ''}✔ ${msg}\n`);
        shown = false;
      },
    };
  }
  let last = '';
  return {
    update(msg) {
      const state = stateOf(msg);
      if (state === last) return;
      last = state;
      stream.write(`… ${msg}\n`);
    },
    done(msg) {
      last = '';
      stream.write(`ok ${msg}\n`);
    },
  };
}
