/**
 * The errors a request gets when its plan fails after planning (style.md §4): a chain transaction that failed, and
 * any failure after the chain transaction, which names the contracts that now exist for the request so its
 * resource is recorded as partially created and destroy cancels them. Pure.
 * @module
 */
import { ChainError, ConflictError, RmbError, TfgridError, errorText } from '../../protocol/common/errors';
import type { Execution } from './execution';
import type { Pending } from './plan';

/** The error of a plan whose chain transaction failed: the group, the contract operation, the chain's text. */
export function chainFailure(p: Execution, err: unknown): TfgridError {
  const what = p.action === 'create' ? `create node contract on node ${p.node}` : p.action === 'cancel' ? `cancel contract ${p.before?.contractId}` : `update contract ${p.before?.contractId}`;
  return err instanceof ChainError
    ? new ChainError(`deployment group "${p.group}": ${what} failed: ${err.message}`, { ...err.context, node: p.node }, { cause: err })
    : new ChainError(`deployment group "${p.group}": ${what} failed: ${errorText(err)}`, { node: p.node }, { cause: err });
}

/** Ids of the contracts the plan's extra ops created (name contracts; all owners, or `owner`'s). */
export function extraIds(p: Execution, owner?: Pending): number[] {
  return p.extraOps
    .filter((e) => e.op.kind === 'createName' && (!owner || e.owner === owner))
    .map((e) => e.id ?? 0)
    .filter((id) => id > 0);
}

/**
 * The error `item` gets when its plan failed after the chain transaction: unless the plan's effects were undone,
 * it carries the contracts that now exist for it (`partialContractId` for a new deployment's node contract,
 * `partialExtraIds` for its name contracts), so the resource is recorded as partially created and destroy
 * cancels them; nothing is left that no state owns.
 */
export function withLeftovers(p: Execution, item: Pending, err: unknown): unknown {
  if (p.rolledBack || err instanceof ConflictError) return err;
  const node = p.action === 'create' && p.next && p.next.contract_id > 0 ? p.next.contract_id : undefined;
  const extras = extraIds(p, item);
  if (!node && extras.length === 0) return err;
  const ctx = err instanceof TfgridError ? err.context : {};
  const Kind = err instanceof TfgridError ? (err.constructor as typeof TfgridError) : RmbError;
  const kept = [node ? `node contract ${node}` : '', extras.length ? `name contract ${extras.join(', ')}` : ''].filter(Boolean).join(' and ');
  return new Kind(
    `${errorText(err)}; ${kept} recorded so destroy cancels ${node && extras.length ? 'them' : 'it'}`,
    { ...ctx, ...(node ? { partialContractId: node } : {}), partialExtraIds: extras },
    { cause: err },
  );
}
