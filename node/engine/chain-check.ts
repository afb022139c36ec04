/**
 * The chain check of a deploy or update job (zosbase provision/engine.go `validateDeployment`, §3.3): the
 * deployment's contract must exist, be a node contract of this node, and carry the md5 hash of the deployment as
 * received. Run on the worker, after the node replied, so a failure becomes `error` results, not a rejection.
 * Facts: zos-protocol.md §2.5 (hash), §3.3.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { ChainContract, EngineChain } from './deps';
import { ENGINE_ERRORS } from './engine-errors';
import { decodeDeployment, hashDeployment } from './wire';

/** The node's error text when contract `contract` does not back the deployment `target` (JSON text), else undefined. */
export async function validateOnChain(chain: EngineChain, nodeId: number, contract: bigint, target: string): Promise<string | undefined> {
  let c: ChainContract | undefined;
  try {
    c = await chain.contract(contract);
    if (!c) return ENGINE_ERRORS.getContract(`contract ${contract} not found`);
  } catch (err) {
    return ENGINE_ERRORS.getContract(errorText(err));
  }
  if (c.type !== 'node') return ENGINE_ERRORS.contractType;
  if (c.nodeId !== nodeId) return ENGINE_ERRORS.nodeAddress;
  let hash: string;
  try {
    hash = hashDeployment(decodeDeployment(target));
  } catch (err) {
    return errorText(err);
  }
  if (c.deploymentHash !== hash) return ENGINE_ERRORS.hash;
  return undefined;
}
