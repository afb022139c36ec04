/**
 * `tfgrid contracts list`: a twin's contracts on TFChain (node, name and rent contracts that are not deleted), to
 * check what is left and billed after a `destroy` (issue 18.10). The twin is `--twin`, else the twin of the key
 * (cli/account.ts: $TFGRID_MNEMONIC, --mnemonic-stdin, or the local grid's user). Reads only; signs nothing.
 * @module
 */
import type { Command } from 'commander';
import { createChainClient, type Contract } from '../../protocol/chain';
import { InputError } from '../../protocol/common/errors';
import { cryptoReady, identityFromSecret, KEY_TYPES, type KeyType } from '../../protocol/common/identity';
import { accountOptions, chainUrlFor, localGridFor, parseNetwork, resolveSecret, type AccountFlags } from '../account';

interface ListFlags extends AccountFlags {
  twin?: string;
  keyType: string;
  json?: boolean;
}

/** One line per contract: id, type, where, state, and what it holds. */
export function formatContract(c: Contract): string {
  const what = c.type === 'node' ? `node ${c.nodeId}  public IPs ${c.publicIps}  deployment ${c.deploymentHash}` : c.type === 'name' ? `name ${c.name}` : `node ${c.nodeId} (rented)`;
  return `  ${String(c.contractId).padStart(6)}  ${c.type.padEnd(4)}  ${c.state.padEnd(11)}  ${what}`;
}

async function listContracts(flags: ListFlags): Promise<{ twinId: number; contracts: Contract[] }> {
  const network = parseNetwork(flags.network);
  if (flags.twin !== undefined && !/^[1-9]\d*$/.test(flags.twin)) {
    throw new InputError(`--twin must be a positive integer, got ${JSON.stringify(flags.twin)}`, { path: '--twin' });
  }
  if (!KEY_TYPES.includes(flags.keyType as KeyType)) {
    throw new InputError(`--key-type must be one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(flags.keyType)}`, { path: '--key-type' });
  }
  const grid = localGridFor(network, flags.dir);
  const chainUrl = chainUrlFor(flags, grid);
  let address: string | undefined;
  if (flags.twin === undefined) {
    const { secret, field } = resolveSecret(flags, grid);
    await cryptoReady();
    address = identityFromSecret(secret, flags.keyType as KeyType, field).address;
  }
  const chain = await createChainClient(chainUrl ? { urls: [chainUrl] } : { network });
  try {
    const twinId = flags.twin !== undefined ? Number(flags.twin) : await chain.getTwinIdByAccount(address ?? '');
    if (twinId === undefined) throw new InputError(`account ${address} has no twin on ${chainUrl ?? network}`, { fix: 'pass --twin <id>, or use the key of a twin' });
    return { twinId, contracts: await chain.getTwinActiveContracts(twinId) };
  } finally {
    await chain.close();
  }
}

export function registerContracts(program: Command): void {
  const contracts = program.command('contracts').description("a twin's contracts on TFChain");
  const list = contracts
    .command('list')
    .description("list a twin's node, name and rent contracts that are not deleted (scans the chain's contracts: slow on mainnet)")
    .option('--twin <id>', 'twin id (default: the twin of the key)')
    .option('--key-type <type>', 'sr25519 or ed25519', 'sr25519')
    .option('--json', 'print {twinId, contracts: [...]} as JSON');
  accountOptions(list).action(async (flags: ListFlags) => {
    const r = await listContracts(flags);
    if (flags.json) {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return;
    }
    const n = r.contracts.length;
    process.stdout.write(`twin ${r.twinId}: ${n} contract${n === 1 ? '' : 's'}\n${r.contracts.map(formatContract).join('\n')}${n ? '\n' : ''}`);
  });
}
