/**
 * Runs the `tfgrid` CLI in process (`cli/main.ts`) and captures what it writes, for tests of commands.
 * @module
 */
import { main } from '../../cli/main';

/**
 * The exit code and everything written to stdout and stderr while `args` ran.
 * @example const { code, out } = await runCli(['rmb', 'call', '--twin', '7', '--cmd', 'zos.system.version']);
 */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
