/** `tfgrid --version` and the exit codes `--help` documents (issue 13 "README and CLI"). */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT_CODES } from './main';
import { runCli } from '../test/helpers/run-cli';

describe('tfgrid', () => {
  it("--version prints the package's version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  it('--help ends with every exit code, and they are the ones the CLI uses', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Exit codes:\n {2}0 {2}done\n {2}1 {2}failed: .*\n {2}2 {2}bad input or usage: .*\n {2}3 {2}`tfgrid local status`: .*\n\n?$/);
    expect(Object.keys(EXIT_CODES)).toEqual(['0', '1', '2', '3']);
    expect((await runCli(['no-such-verb'])).code).toBe(2);
  });
});
