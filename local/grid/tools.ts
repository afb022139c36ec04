/** Which Linux tools are on PATH (the local grid picks the linux backend only when all are). @module */
import { execFileSync } from 'child_process';

export function missingToolsSync(tools: string[]): string[] {
  return tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}
