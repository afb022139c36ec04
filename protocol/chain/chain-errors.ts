/**
 * Dispatch errors → readable `ChainError`s (rmb-tfchain.md §B1–§B3). One table names, for the pallet errors a
 * deployer meets, what went wrong in words and what to do; the pallet and error name stay in `context`.
 * @module
 */
import { ChainError, type ErrorContext } from '../common/errors';

// Hints that several pallet errors share.
const NODE_NOT_FOUND = { meaning: 'no node with this id on chain', fix: 'check the node id (list nodes of the farm)' };
const CONTRACT_OF_OTHER_TWIN = { meaning: 'the contract belongs to another twin', fix: 'sign with the account that created the contract' };
const NAME_LENGTH_FIX = 'use 3 to 64 characters';

/** What a pallet error means for a deployer, and the fix. Keyed `pallet.Error` (metadata section names). */
export const CHAIN_ERROR_HINTS: Readonly<Record<string, { meaning: string; fix: string }>> = {
  'smartContractModule.ContractIsNotUnique': {
    meaning: 'a contract with this deployment hash already exists on this node',
    fix: 'change the deployment (its hash must differ) or reuse the existing contract (look it up by node and hash)',
  },
  'smartContractModule.FarmHasNotEnoughPublicIPs': {
    meaning: "the node's farm has fewer public IPs than requested",
    fix: 'ask for fewer public IPs or pick a node on a farm with a larger IP pool',
  },
  'smartContractModule.FarmHasNotEnoughPublicIPsFree': {
    meaning: "all of the node's farm public IPs are reserved by other contracts",
    fix: 'pick a node on another farm, or free an IP by cancelling a contract that holds one',
  },
  'smartContractModule.NodeNotExists': NODE_NOT_FOUND,
  'tfgridModule.NodeNotExists': { ...NODE_NOT_FOUND, fix: 'check the node id' },
  'smartContractModule.TwinNotExists': {
    meaning: 'the signing account has no twin',
    fix: 'create a twin first (accept the terms, then createTwin)',
  },
  'smartContractModule.ContractNotExists': { meaning: 'no contract with this id', fix: 'check the contract id; it may have been cancelled' },
  'smartContractModule.TwinNotAuthorizedToUpdateContract': CONTRACT_OF_OTHER_TWIN,
  'smartContractModule.TwinNotAuthorizedToCancelContract': CONTRACT_OF_OTHER_TWIN,
  'smartContractModule.NameExists': { meaning: 'this name is already registered', fix: 'choose another name' },
  'smartContractModule.NameNotValid': {
    meaning: 'the name has characters other than a-z, 0-9, _ and -',
    fix: `${NAME_LENGTH_FIX} of [a-z0-9_-]`,
  },
  'smartContractModule.NameContractNameTooShort': { meaning: 'the name is shorter than 3 characters', fix: NAME_LENGTH_FIX },
  'smartContractModule.NameContractNameTooLong': { meaning: 'the name is longer than 64 characters', fix: NAME_LENGTH_FIX },
  'smartContractModule.NodeHasActiveContracts': {
    meaning: 'the node already runs contracts of other twins, so it cannot be rented',
    fix: 'pick a node with no active contracts',
  },
  'smartContractModule.NodeHasRentContract': { meaning: 'the node is already rented', fix: 'pick another node or use its renter' },
  'smartContractModule.NodeNotAvailableToDeploy': {
    meaning: 'the node is rented by another twin or dedicated and needs a rent contract',
    fix: 'rent the node first (createRentContract) or pick a node that is not dedicated',
  },
  'smartContractModule.CannotUpdateContractInGraceState': {
    meaning: 'the contract is in its grace period (out of funds)',
    fix: 'fund the twin account; the contract resumes when billing succeeds',
  },
  'smartContractModule.NotEnoughResourcesOnNode': { meaning: 'the node has not enough free capacity', fix: 'pick another node' },
  'smartContractModule.NoSuchSolutionProvider': { meaning: 'unknown solution provider id', fix: 'omit solutionProviderId or check it' },
  'smartContractModule.SolutionProviderNotApproved': { meaning: 'the solution provider is not approved', fix: 'omit solutionProviderId' },
  'smartContractModule.NodeContractIsNotUnique': { meaning: 'duplicate node contract', fix: 'change the deployment hash' },
  'tfgridModule.TwinWithPubkeyExists': { meaning: 'this account already has a twin', fix: 'look the twin up instead of creating one' },
  'tfgridModule.TwinNotExists': { meaning: 'no twin for this account or id', fix: 'create a twin first' },
  'tfgridModule.UserDidNotSignTermsAndConditions': {
    meaning: 'the account has not accepted the terms and conditions',
    fix: 'call userAcceptTc before createTwin (createChainClient().ensureTwin does both)',
  },
  'tfgridModule.FarmerDidNotSignTermsAndConditions': { meaning: 'the farmer has not accepted the terms', fix: 'accept the terms first' },
  'tfgridModule.InvalidRelayAddress': {
    meaning: "the relay is not a bare host name (no scheme, no port; several joined by '_')",
    fix: 'pass e.g. "relay.dev.grid.tf" or "localhost"',
  },
  'tfgridModule.InvalidRelay': { meaning: 'the relay host name is malformed', fix: 'use [A-Za-z0-9._-] host names' },
  'tfgridModule.FarmExists': { meaning: 'a farm with this name exists', fix: 'choose another farm name or reuse that farm' },
  'tfgridModule.FarmNotExists': { meaning: 'no farm with this id', fix: 'check the farm id' },
  'tfgridModule.IpExists': { meaning: 'the farm already has this public IP', fix: 'skip it or add another IP' },
  'tfgridModule.NodeWithTwinIdExists': { meaning: 'this twin already registered a node', fix: 'use one twin per node' },
  'tfgridModule.CannotCreateFarmWrongTwin': { meaning: 'the twin does not belong to the signer', fix: 'sign with the twin account' },
  'tfgridModule.FarmingPolicyNotExists': { meaning: 'the chain has no default farming policy', fix: 'the chain genesis lacks FarmingPoliciesMap(1); use a patched local spec' },
  'tfgridModule.InvalidCountryCityPair': { meaning: 'country and city are not a known pair', fix: 'use a real country and one of its cities' },
  'balances.InsufficientBalance': { meaning: 'the account has not enough TFT', fix: 'fund the account' },
  'balances.ExistentialDeposit': { meaning: 'the amount would leave the account below the existential deposit', fix: 'send more' },
};

/** A dispatch error as decoded from metadata (`registry.findMetaError`), or a non-module error. */
export interface DecodedDispatchError {
  pallet?: string;
  error?: string;
  docs?: string;
  /** For non-module errors: `BadOrigin`, `Token.FundsUnavailable`, … */
  text: string;
}

/**
 * Builds the ChainError for a failed extrinsic: `${what}: ${pallet}.${error} (${meaning}); ${fix}`.
 * @example chainDispatchError('create node contract on node 11', { pallet: 'smartContractModule', error: 'ContractIsNotUnique', text: '' })
 */
export function chainDispatchError(what: string, d: DecodedDispatchError, extra: ErrorContext = {}): ChainError {
  if (d.pallet && d.error) {
    const hint = CHAIN_ERROR_HINTS[`${d.pallet}.${d.error}`];
    const meaning = hint?.meaning ?? (d.docs || 'no description in metadata');
    const fix = hint?.fix;
    const msg = `${what}: ${d.pallet}.${d.error} (${meaning})${fix ? `; ${fix}` : ''}`;
    return new ChainError(msg, { ...extra, module: d.pallet, error: d.error, ...(fix ? { fix } : {}) });
  }
  return new ChainError(`${what}: dispatch error ${d.text}`, { ...extra, error: d.text });
}

/** Pool rejections (`1010: Invalid Transaction: …`) that mean "nonce raced; resync and resend". */
export function isNonceRace(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /\b(stale|outdated|Priority is too low|Transaction is temporarily banned|future)\b/i.test(text);
}
