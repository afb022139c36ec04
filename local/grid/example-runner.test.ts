/**
 * What a failed `tfgrid local deploy` shows (issue 18.4): the program's own text whenever the engine's errors do not
 * already carry it, never an empty cause.
 */
import { failureTexts } from './example-runner';

describe('failureTexts', () => {
  it("shows a program's output when it died before talking to the engine", () => {
    const log = "node:internal/modules/cjs/loader:1210\n  throw err;\n\nError: Cannot find module '@swc-node/register'\n";
    expect(failureTexts([], log)).toEqual(['program output:', '  node:internal/modules/cjs/loader:1210', '    throw err;', "  Error: Cannot find module '@swc-node/register'"]);
  });

  it('keeps the engine errors and adds only output they do not already quote', () => {
    expect(failureTexts(['tfgrid:Zdb db: node 1 said no'], 'tfgrid:Zdb db: node 1 said no\n')).toEqual(['tfgrid:Zdb db: node 1 said no']);
    expect(failureTexts(['tfgrid:Zdb db: x'], 'TypeError: y is not a function\n')).toEqual(['tfgrid:Zdb db: x', 'program output:', '  TypeError: y is not a function']);
  });

  it('strips terminal colours, keeps the last 20 lines, and never returns an empty cause', () => {
    const long = Array.from({ length: 30 }, (_, i) => `\x1b[90mline ${i}\x1b[39m`).join('\n');
    const texts = failureTexts([], long);
    expect(texts[0]).toBe('program output (last 20 of 30 lines):');
    expect(texts.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => `  line ${i + 10}`));
    expect(failureTexts([], '')).toEqual(['the program failed without any output']);
  });
});
