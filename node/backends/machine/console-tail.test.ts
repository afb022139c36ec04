import { consoleTail, CONSOLE_TAIL_CHARS } from './console-tail';

describe('consoleTail', () => {
  it.each([
    ['nothing printed', '', ''],
    ['one cause repeated by every restart', 'runc run failed: exec: stat /sbin/zinit: no such file or directory\n'.repeat(4), 'runc run failed: exec: stat /sbin/zinit: no such file or directory'],
    ['the last 5 distinct lines, in order', 'a\nb\nc\nd\ne\nf\ng\n', 'c | d | e | f | g'],
    ['blank lines, CRs and colours dropped', '\x1b[31mboom\x1b[0m\r\n\n  at x  \n', 'boom | at x'],
    ['starts of a counting entrypoint', 'starts=1\nstarts=2\nstarts=3\n', 'starts=1 | starts=2 | starts=3'],
  ])('%s', (_what, text, tail) => {
    expect(consoleTail(text)).toBe(tail);
  });

  it('keeps the end of very long lines', () => {
    const tail = consoleTail(`${'x'.repeat(2000)}END\n`);
    expect(tail).toHaveLength(CONSOLE_TAIL_CHARS + 1);
    expect(tail.endsWith('END')).toBe(true);
  });
});
