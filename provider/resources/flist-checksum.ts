/**
 * `flistChecksum` of a ZMachine: the md5 of the flist file the user expects. ZOS has no such field (the zmachine
 * workload carries only the flist URL); the clients check it, as terraform-provider-grid and grid_client do:
 * before deploying they fetch `<flist>.md5`, which the hub serves (hub.grid.tf and local/hub), and refuse a
 * different md5. So the check runs in the provider (preview and before create/update) and never reaches the wire.
 * @module
 */
import type { CheckFailure } from '../inputs';

/** What an md5 is: 32 hex characters (compared lowercase). */
export const MD5_HEX = /^[0-9a-fA-F]{32}$/;

/** Body of `GET <url>`: `{ status, text }`, or throws when the server cannot be reached. Injected in tests. */
export type FetchText = (url: string) => Promise<{ status: number; text: string }>;

const fetchText: FetchText = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
};

/**
 * The refusal of a machine whose `flistChecksum` the hub does not confirm: a different md5, no `.md5` served, or a
 * hub that does not answer (an unverified checksum is refused, not skipped: the user asked for the check).
 * `undefined` when no checksum is given or it matches.
 */
export async function flistChecksumRefusal(machine: string, flist: string, expected: string | undefined, get: FetchText = fetchText): Promise<CheckFailure | undefined> {
  if (expected === undefined) return undefined;
  const url = `${flist}.md5`;
  const refuse = (why: string, fix: string): CheckFailure => ({ property: 'flistChecksum', reason: `ZMachine "${machine}": flistChecksum ${expected}: ${why}. Fix: ${fix}` });
  let got: { status: number; text: string };
  try {
    got = await get(url);
  } catch (err) {
    return refuse(`the flist hub did not answer GET ${url} (${(err as Error).message})`, 'make the hub reachable, or remove flistChecksum');
  }
  const served = got.text.trim().split(/\s+/)[0] ?? '';
  if (got.status !== 200 || !MD5_HEX.test(served)) {
    return refuse(
      `the flist hub serves no md5 at ${url} (HTTP ${got.status}${got.status === 200 ? `, body is not 32 hex: "${got.text.slice(0, 40)}"` : ''})`,
      'check the flist URL, use a hub that serves <flist>.md5, or remove flistChecksum',
    );
  }
  if (served.toLowerCase() === expected.toLowerCase()) return undefined;
  return refuse(
    `the flist ${flist} has md5 ${served.toLowerCase()} (from ${url}), not ${expected}`,
    `if that flist is the one you mean, set flistChecksum to "${served.toLowerCase()}"; otherwise fix flist`,
  );
}
