/**
 * `tfgrid rmb call`: send one RMB request to a twin and print the JSON reply (rmb-tfchain.md §A13,
 * zos-protocol.md §5.2). A composition root: builds the chain client, the chain-backed twin directory and a
 * peer, then closes them. Defaults to the local grid (`--network local`, `--dir`, the grid's user key); cli/account.ts
 * resolves the network, URLs and key.
 * @module
 */
import type { Command } from 'commander';
import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json';
import { createChainClient } from '../../protocol/chain';
import { InputError } from '../../protocol/common/errors';
import { cryptoReady, identityFromSecret, KEY_TYPES, type KeyType } from '../../protocol/common/identity';
import { createRmbPeer } from '../../protocol/rmb/peer';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { accountOptions, chainUrlFor, localGridFor, parseNetwork, relayUrlsFor, resolveSecret, type AccountFlags } from '../account';

export interface CallFlags extends AccountFlags {
  twin: string;
  cmd: string;
  data?: string;
  relay: string[];
  keyType: string;
  timeout: string;
  session?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`, { path: flag });
  }
  return Number(value);
}

/** Runs one call; resolves to the reply text, pretty-printed with integers kept exact. */
export async function rmbCall(flags: CallFlags): Promise<string> {
  const twin = positiveInt(flags.twin, '--twin');
  const timeoutS = positiveInt(flags.timeout, '--timeout');
  if (!KEY_TYPES.includes(flags.keyType as KeyType)) {
    throw new InputError(`--key-type must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(flags.keyType)}`, { path: '--key-type' });
  }
  const network = parseNetwork(flags.network);
  if (flags.data !== undefined) {
    try {
      losslessParse(flags.data);
    } catch (err) {
      throw new InputError(`--data is not JSON: ${(err as Error).message}`, { path: '--data', fix: `quote it for the shell, e.g. --data '{"contract_id": 12}'` });
    }
  }
  const grid = localGridFor(network, flags.dir);
  const { secret, field } = resolveSecret(flags, grid);
  await cryptoReady();
  const identity = identityFromSecret(secret, flags.keyType as KeyType, field);
  // explicit flags, else the running local grid's URLs, else the network's defaults
  const relayUrls = relayUrlsFor(network, flags.relay, grid);
  const chainUrl = chainUrlFor(flags, grid);
  const chain = await createChainClient(chainUrl ? { urls: [chainUrl] } : { network });
  try {
    const myTwin = await chain.getTwinIdByAccount(identity.address);
    if (myTwin === undefined) {
      throw new InputError(`account ${identity.address} has no twin on ${chainUrl ?? network}`, {
        path: field,
        fix: 'create a twin for this key first (accept the terms and createTwin), or use a key that has one',
      });
    }
    const peer = createRmbPeer({ identity, twinId: myTwin, relayUrls, directory: createChainTwinDirectory(chain), session: flags.session, timeoutMs: timeoutS * 1000 });
    try {
      await peer.ready(Math.min(timeoutS * 1000, 15_000));
      const text = await peer.callRaw(twin, flags.cmd, flags.data);
      return text.trim() === '' ? 'null' : (losslessStringify(losslessParse(text), undefined, 2) ?? text);
    } finally {
      await peer.close();
    }
  } finally {
    await chain.close();
  }
}

export function registerRmb(program: Command): void {
  const rmb = program.command('rmb').description('talk to twins and nodes over RMB (the relay message bus)');
  const call = rmb
    .command('call')
    .description('send one request to a twin (a node is addressed by its twin id) and print the JSON reply')
    .requiredOption('--twin <id>', 'destination twin id')
    .requiredOption('--cmd <command>', 'command, e.g. zos.system.version')
    .option('--data <json>', 'request body (JSON); empty when omitted')
    .option('--relay <url>', "relay URL (repeatable; default: the running local grid's, else the network's relays)", collect, [])
    .option('--mnemonic <words>', 'BIP39 mnemonic or 64-hex seed (visible to other users in `ps`: prefer $TFGRID_MNEMONIC or --mnemonic-stdin)')
    .option('--key-type <type>', 'sr25519 or ed25519', 'sr25519')
    .option('--timeout <seconds>', 'reply deadline', '30')
    .option('--session <sid>', 'RMB session id (default: random)');
  accountOptions(call).action(async (flags: CallFlags) => {
    process.stdout.write((await rmbCall(flags)) + '\n');
  });
}
