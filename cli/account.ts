/**
 * Who and where a `tfgrid` verb that talks to a grid acts: the network (`dev|qa|test|main` and
 * `devnet|qanet|testnet|mainnet` alike, as the provider's `tfgrid:network`), the running local grid's state for
 * `local` (`--dir`), its chain and relay URLs, and the key. The key never has to be on the command line:
 * `$TFGRID_MNEMONIC`, `--mnemonic-stdin` (one line on stdin), else the local grid's funded user.
 * @module
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { NETWORKS, isNetworkName, type NetworkName } from '../protocol/chain';
import { InputError } from '../protocol/common/errors';
import { defaultGridDir, readState, type GridState } from '../local/grid/state';

/** What `--network` accepts, for help texts. */
export const NETWORK_CHOICES = 'local | dev | qa | test | main (or devnet, qanet, testnet, mainnet)';

/** `dev` → `devnet`, …; the chain's own names pass as they are. Throws InputError naming `flag`. */
export function parseNetwork(value: string, flag = '--network'): NetworkName {
  const v = value.trim().toLowerCase();
  const name = ['dev', 'qa', 'test', 'main'].includes(v) ? `${v}net` : v;
  if (!isNetworkName(name)) throw new InputError(`${flag} ${JSON.stringify(value)}: expected ${NETWORK_CHOICES}`, { path: flag });
  return name;
}

export interface AccountFlags {
  network: string;
  chain?: string;
  dir?: string;
  /** Only `tfgrid rmb call` keeps `--mnemonic` (older scripts); new verbs read the environment or stdin. */
  mnemonic?: string;
  mnemonicStdin?: boolean;
}

/** Adds `--network`, `--chain`, `--dir` and `--mnemonic-stdin` to a verb. */
export function accountOptions(cmd: Command): Command {
  return cmd
    .option('--network <name>', NETWORK_CHOICES, 'local')
    .option('--chain <url>', "TFChain websocket URL (default: the running local grid's, else the network's)")
    .option('--dir <path>', 'local grid directory (network local); default $TFGRID_LOCAL_DIR or ~/.tfgrid/local')
    .option('--mnemonic-stdin', 'read the mnemonic (or 64-hex seed) from the first line of stdin instead of $TFGRID_MNEMONIC');
}

/** The running local grid's state when the network is local (its URLs and user are the defaults). */
export function localGridFor(network: NetworkName, dir?: string): GridState | undefined {
  return network === 'local' ? readState(dir ?? defaultGridDir()) : undefined;
}

/** The chain URL: `--chain`, else the local grid's, else undefined (the network's defaults). */
export function chainUrlFor(flags: AccountFlags, grid: GridState | undefined): string | undefined {
  return flags.chain ?? grid?.chain?.url;
}

/** The relay URLs: explicit, else the local grid's, else the network's. */
export function relayUrlsFor(network: NetworkName, explicit: string[], grid: GridState | undefined): string[] {
  return explicit.length ? explicit : grid?.relay ? [grid.relay.url] : [...NETWORKS[network].relay];
}

/** The key to sign with and where it came from (named in errors, never printed). */
export function resolveSecret(flags: AccountFlags, grid: GridState | undefined, readStdin: () => string = () => fs.readFileSync(0, 'utf8')): { secret: string; field: string } {
  if (flags.mnemonicStdin) {
    const line = readStdin().split('\n')[0]?.trim() ?? '';
    if (!line) throw new InputError('--mnemonic-stdin: stdin is empty', { path: '--mnemonic-stdin', fix: 'pipe the mnemonic in, e.g. `pass show tfgrid | tfgrid … --mnemonic-stdin`' });
    return { secret: line, field: 'stdin' };
  }
  if (flags.mnemonic) return { secret: flags.mnemonic, field: '--mnemonic' };
  if (process.env.TFGRID_MNEMONIC) return { secret: process.env.TFGRID_MNEMONIC, field: 'TFGRID_MNEMONIC' };
  if (grid?.user?.mnemonic) return { secret: grid.user.mnemonic, field: 'local grid user mnemonic' };
  throw new InputError('no key to sign with', {
    path: 'TFGRID_MNEMONIC',
    fix: 'set TFGRID_MNEMONIC, pipe it with --mnemonic-stdin, or start the local grid (`tfgrid local up`)',
  });
}
