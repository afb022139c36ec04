/**
 * RentContract: rents a whole node (TFChain `create_rent_contract`, peer-features.md §3). While it stands only
 * its renter may deploy there (the chain refuses others' node contracts with `NodeNotAvailableToDeploy`), and node
 * contracts on it pay only for public IPs and network units. Deleting it cancels the rent contract, which the chain
 * refuses while the renter still has node contracts on the node (`NodeHasActiveContracts`): destroy removes the
 * deployments first when they depend on it (`dependsOn`, or the node taken from `rent.node`).
 *
 * Pulumi state written here: add fields, never rename.
 * @module
 */
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { previousInputs, withCheckedInputs } from '../checked-inputs';
import { stableJson } from '../deployment-coordinator';
import { nodeIdSchema, validateInputs, type CheckFailure } from '../inputs';
import { getRuntime } from '../runtime';
import { recordedAccount, type DiffResult } from '../workload-resource';
import { accountSchema, sameAccount } from '../account';

export const rentContractInputsSchema = z.object({
  /** The node to rent. */
  node: nodeIdSchema.describe('The node to rent (whole): only the renter may deploy on it while the contract stands.'),
  /** A solution provider on the contract (must exist and be approved on the chain). */
  solutionProviderId: z.number().int().positive().optional().describe('Solution provider id set on the rent contract (approved on the chain).'),
  /** The renting twin and its network (provider/account.ts); default the stack config's. */
  account: accountSchema,
});
export type RentContractInputs = z.infer<typeof rentContractInputsSchema>;

export const rentContractOutputDocs = {
  contractId: { type: 'integer', description: 'The rent contract id on TFChain.' },
  twinId: { type: 'integer', description: 'The renting twin.' },
  state: { type: 'string', description: "created, grace (out of funds: the node's node contracts follow) or gone after a refresh." },
} as const;

const KEYS = Object.keys(rentContractInputsSchema.shape);

export function checkRentContract(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider: provider, ...raw } = news;
  const { value, failures } = validateInputs(rentContractInputsSchema, raw, 'RentContract', `node ${String(raw.node ?? '?')}`);
  if (!value) return { inputs: news, failures };
  return { inputs: { ...value, ...(provider !== undefined ? { __provider: provider } : {}) }, failures };
}

/** Any change is a new contract; on the same node the old one must go first (`NodeHasRentContract`). */
export function diffRentContract(olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const prev = previousInputs(olds, KEYS).inputs;
  const same = (k: string) => (k === 'account' ? sameAccount(prev[k], news[k]) : stableJson(prev[k] ?? null) === stableJson(news[k] ?? null));
  const changed = KEYS.filter((k) => !same(k));
  if (changed.length === 0) return { changes: false, replaces: [], deleteBeforeReplace: false };
  return { changes: true, replaces: changed, deleteBeforeReplace: !changed.includes('node') };
}

function parse(raw: Record<string, unknown>): RentContractInputs {
  const picked = Object.fromEntries(KEYS.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
  const r = rentContractInputsSchema.safeParse(picked);
  if (!r.success) throw new InputError(`RentContract: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export async function createRentContract(raw: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }> {
  const i = parse(raw);
  const rt = await getRuntime(i.account);
  const [res] = await rt.deps.chain.submit([{ kind: 'createRent', nodeId: i.node, ...(i.solutionProviderId ? { solutionProviderId: i.solutionProviderId } : {}) }]);
  const twinId = await rt.deps.chain.twinId();
  return { id: String(res.contractId), outs: withCheckedInputs({ ...i, contractId: res.contractId, twinId, state: 'created' }, i) };
}

export async function deleteRentContract(olds: Record<string, unknown>): Promise<void> {
  const contractId = Number(olds.contractId) || 0;
  if (!contractId) return;
  const rt = await getRuntime(recordedAccount(olds));
  const c = await rt.deps.chain.getContract(contractId);
  if (!c || c.state === 'deleted') return;
  try {
    await rt.deps.chain.submit([{ kind: 'cancel', contractId }]);
  } catch (err) {
    const text = errorText(err);
    if (/NodeHasActiveContracts/.test(text)) {
      throw new InputError(`RentContract on node ${String(olds.node)}: contract ${contractId} cannot be cancelled while node contracts remain on the node (TFChain: NodeHasActiveContracts)`, {
        fix: 'delete the deployments on the node first (give them dependsOn: [rent] so destroy orders it)',
      });
    }
    throw err;
  }
}

export async function readRentContract(id: string, props: Record<string, unknown>): Promise<{ id: string; props: Record<string, unknown> }> {
  const rt = await getRuntime(recordedAccount(props));
  const c = await rt.deps.chain.getContract(Number(props.contractId) || 0);
  if (!c || c.state === 'deleted') return { id: '', props: {} };
  return { id, props: { ...props, state: c.state } };
}
