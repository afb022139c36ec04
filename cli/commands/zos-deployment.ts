/**
 * `tfgrid zos deployment get --node N --contract C`: asks a node for one of your deployments over RMB
 * (`zos.deployment.get`, zos-protocol.md §5.2) and prints it with each workload's state and message: what a
 * provider timeout or error points at. The node's twin comes from the chain; the key as for `tfgrid rmb call`.
 * @module
 */
import type { Command } from 'commander';
import { createChainClient } from '../../protocol/chain';
import { InputError } from '../../protocol/common/errors';
import { accountOptions, chainUrlFor, localGridFor, parseNetwork } from '../account';
import { rmbCall, type CallFlags } from './rmb';

interface GetFlags {
  node: string;
  contract: string;
  network: string;
  chain?: string;
  dir?: string;
  mnemonicStdin?: boolean;
  keyType: string;
  timeout: string;
}

function id(value: string, flag: string): number {
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InputError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`, { path: flag });
  return Number(value);
}

/** The node's twin id (nodes are addressed by twin on RMB). */
async function nodeTwin(flags: GetFlags, nodeId: number): Promise<number> {
  const network = parseNetwork(flags.network);
  const url = chainUrlFor(flags, localGridFor(network, flags.dir));
  const chain = await createChainClient(url ? { urls: [url] } : { network });
  try {
    const node = await chain.getNode(nodeId);
    if (!node) throw new InputError(`node ${nodeId} does not exist on ${url ?? network}`, { path: '--node' });
    return node.twinId;
  } finally {
    await chain.close();
  }
}

/** Adds `deployment get` to the `zos` command. */
export function registerZosDeployment(program: Command): void {
  const zos = program.commands.find((c) => c.name() === 'zos') ?? program.command('zos');
  const deployment = zos.command('deployment').description('your deployments on a node, over RMB');
  const get = deployment
    .command('get')
    .description("print a deployment as the node has it (zos.deployment.get): versions, each workload's state and message")
    .requiredOption('--node <id>', 'node id')
    .requiredOption('--contract <id>', 'node contract id of the deployment')
    .option('--key-type <type>', 'sr25519 or ed25519', 'sr25519')
    .option('--timeout <seconds>', 'reply deadline', '30');
  accountOptions(get).action(async (flags: GetFlags) => {
    const nodeId = id(flags.node, '--node');
    const contract = id(flags.contract, '--contract');
    const twin = await nodeTwin(flags, nodeId);
    const call: CallFlags = { ...flags, twin: String(twin), cmd: 'zos.deployment.get', data: JSON.stringify({ contract_id: contract }), relay: [] };
    process.stdout.write((await rmbCall(call)) + '\n');
  });
}
