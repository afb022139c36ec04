/**
 * HTTP from inside a network namespace the test made (machine.md: `nsenter --net=`, not `ip netns exec`), retried
 * while the target comes up (a VM under TCG takes 5–15 s to boot, more under load).
 * @module
 */
import { execFileSync } from 'child_process';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * GET `http://<addr>/` from inside `ns` (from source address `from` when given), retried every second for
 * `waitMs`; the body, or '' when it never answers.
 */
export async function fetchInNs(ns: string, addr: string, waitMs: number, from?: string): Promise<string> {
  const bind = from ? ['--interface', from] : [];
  for (const end = Date.now() + waitMs; Date.now() < end; ) {
    try {
      return execFileSync('nsenter', [`--net=/run/netns/${ns}`, 'curl', '-sS', '--max-time', '2', ...bind, `http://${addr}/`], { encoding: 'utf8', stdio: 'pipe', timeout: 10_000 });
    } catch {
      await sleep(1000);
    }
  }
  return '';
}
