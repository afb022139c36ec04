/**
 * Where the provider finds the local grid (network `local`): the grid's directory and the few fields of its state
 * file the provider uses as defaults (chain URL, relay URL, the funded user's mnemonic). local/grid/state.ts owns
 * the file's full format and builds on these; the provider reads it here so that it never imports the local grid
 * (the published package holds provider/ and not local/).
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';

/** Where the grid lives unless told otherwise: `$TFGRID_LOCAL_DIR`, else `~/.tfgrid/local`. */
export function defaultGridDir(): string {
  return process.env.TFGRID_LOCAL_DIR ?? path.join(os.homedir(), '.tfgrid', 'local');
}

/** The state file in a grid directory. */
export function statePath(dir: string): string {
  return path.join(dir, 'state.json');
}

/** The part of the state file the provider reads (the format only grows: add fields, never rename). */
const endpointsSchema = z.object({
  chain: z.object({ url: z.string() }).optional(),
  relay: z.object({ url: z.string() }).optional(),
  gridProxy: z.object({ url: z.string() }).optional(),
  user: z.object({ mnemonic: z.string() }).optional(),
});

export interface LocalGridInfo {
  chainUrl?: string;
  relayUrl?: string;
  /** The local grid proxy's base URL (`http://127.0.0.1:<port>`). */
  gridProxyUrl?: string;
  mnemonic?: string;
}

/** The local grid's URLs and user, from its state file; empty when no grid was started or the file is unreadable. */
export function readLocalGrid(dir: string = defaultGridDir()): LocalGridInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(statePath(dir), 'utf8'));
  } catch {
    return {};
  }
  const r = endpointsSchema.safeParse(raw);
  if (!r.success) return {};
  return { chainUrl: r.data.chain?.url, relayUrl: r.data.relay?.url, gridProxyUrl: r.data.gridProxy?.url, mnemonic: r.data.user?.mnemonic };
}
