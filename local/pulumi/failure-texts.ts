/**
 * The text a user sees for a failed run. Pure.
 * @module
 */

/** Lines of a program's output shown when the program itself failed (its stack or compiler error). */
const PROGRAM_TAIL_LINES = 20;

/**
 * What to show for a failed run: the engine's errors (resource failures, the program's error log), and when they
 * do not already carry it, the tail of the program's own output. A program that dies before it talks to the engine
 * (a module it cannot load, a syntax error, a throw at top level) leaves no error but its stderr, which must be
 * shown as it is (issue 18.4: the cause used to be dropped, leaving an empty line).
 */
export function failureTexts(errors: string[], programLog: string): string[] {
  const lines = programLog
    .replace(/\x1b\[[0-9;]*m/g, '') // node colours its stack traces when it thinks a terminal reads them
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  const shown = errors.map((e) => e.trim()).filter((e) => e.length > 0);
  const missing = lines.filter((l) => !shown.some((e) => e.includes(l.trim())));
  if (missing.length === 0) return shown.length > 0 ? shown : ['the program failed without any output'];
  const tail = lines.slice(-PROGRAM_TAIL_LINES);
  const cut = lines.length > tail.length ? `(last ${tail.length} of ${lines.length} lines)` : '';
  return [...shown, `program output${cut ? ' ' + cut : ''}:`, ...tail.map((l) => `  ${l}`)];
}
