/**
 * Tests that need root or Linux tools: in CI (`CI` set) a missing tool is a failure; elsewhere the test
 * suite is skipped with a printed reason (docs/style.md §6).
 * @module
 */
import { execFileSync } from 'child_process';

export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Returns `describe` when the tools (and root, if asked) are there, `describe.skip` outside CI otherwise,
 * and throws in CI so the run fails loudly.
 */
export function describeWithTools(tools: string[], opts: { root?: boolean } = {}): jest.Describe {
  const missing = missingTools(tools);
  if (opts.root && !isRoot()) missing.push('root');
  if (missing.length === 0) return describe;
  const reason = `needs ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`CI is missing required tools: ${reason} (install them in .ci/run)`);
  console.warn(`skipping: ${reason}`);
  return describe.skip;
}
