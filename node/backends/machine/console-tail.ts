/**
 * The last lines of a machine's console, for the error text of a machine that stopped (issue 18.6): the cause of
 * a dead entrypoint (`stat /sbin/zinit: no such file or directory`, a stack trace's last line) is usually only
 * there. One line of text, so it can end a ZOS result message.
 * @module
 */

/** Lines kept: enough for a cause and its context, short enough for a result message. */
export const CONSOLE_TAIL_LINES = 5;
/** Characters kept of the joined tail (its end). */
export const CONSOLE_TAIL_CHARS = 600;

/**
 * The last `lines` distinct non-empty lines of `text` (a line repeated by every restart appears once, at its last
 * place), terminal escapes and carriage returns removed, joined with ` | `; `''` when nothing was printed.
 * @example consoleTail('exec: stat /sbin/zinit: no such file or directory\n'.repeat(4)) // 'exec: stat /sbin/zinit: …'
 */
export function consoleTail(text: string, lines = CONSOLE_TAIL_LINES): string {
  const all = text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const kept: string[] = [];
  for (let i = all.length - 1; i >= 0 && kept.length < lines; i--) if (!kept.includes(all[i])) kept.unshift(all[i]);
  const joined = kept.join(' | ');
  return joined.length > CONSOLE_TAIL_CHARS ? `…${joined.slice(-CONSOLE_TAIL_CHARS)}` : joined;
}
