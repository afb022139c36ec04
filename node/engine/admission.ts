/**
 * Admission of a deployment or an update (zosbase provision/engine.go `Provision`/`Update`, §3.2): the synchronous
 * checks in the node's order (decode, valid, twin match, signatures), then the deployment and its job written in
 * one SQLite transaction; only then does the node reply. A failed check is a rejection with the node's text (the
 * RMB error reply); nothing is stored. Chain validation and provisioning happen later, on the worker.
 * Facts: zos-protocol.md §3.2, §3.4.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { EngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import { jobPayload } from './jobs';
import { rawWorkloadData } from './raw-json';
import { StorageError, type StoredDeployment } from './storage';
import type { TwinKeyLookup } from './twin-keys';
import { type PlanOp, type WireDeployment, decodeDeployment, planDeploymentUpgrade, renderDeployment, signatureRequirementJson, storedWorkloadOf, validateWire, verifyWire } from './wire';

/** decode → valid → twin match → signatures (§3.2 steps 1–5); also the workloads' raw `data` texts, kept verbatim. */
export async function checkDeployment(ctx: EngineContext, twinKey: TwinKeyLookup, sourceTwin: number, payload: string): Promise<{ dl: WireDeployment; raw: (string | undefined)[] }> {
  let dl: WireDeployment;
  try {
    dl = decodeDeployment(payload);
  } catch (err) {
    return ctx.reject(errorText(err));
  }
  try {
    validateWire(dl);
  } catch (err) {
    return ctx.reject(errorText(err));
  }
  if (dl.twin_id !== sourceTwin) ctx.reject(ENGINE_ERRORS.twinMismatch(dl.twin_id, sourceTwin));
  try {
    await verifyWire(dl, twinKey);
  } catch (err) {
    return ctx.reject(errorText(err));
  }
  let raw: (string | undefined)[];
  try {
    raw = rawWorkloadData(payload);
  } catch (err) {
    return ctx.reject(errorText(err));
  }
  return { dl, raw };
}

/** `zos.deployment.deploy`: checks, then stores the deployment (`init` workloads) and its provision job. Returns the acceptance time (s). */
export async function admitDeployment(ctx: EngineContext, twinKey: TwinKeyLookup, sourceTwin: number, payload: string): Promise<number> {
  const { dl, raw } = await checkDeployment(ctx, twinKey, sourceTwin, payload);
  if (dl.version !== 0) ctx.reject(ENGINE_ERRORS.createVersion);
  const now = ctx.nowSec();
  const stored: StoredDeployment = {
    version: dl.version,
    twinId: dl.twin_id,
    contractId: dl.contract_id,
    metadata: dl.metadata,
    description: dl.description,
    signatureRequirement: signatureRequirementJson(dl),
    workloads: dl.workloads.map((w, i) => storedWorkloadOf(w, raw[i], 'init', now)),
  };
  try {
    ctx.storage.create(stored, { op: 'provision', twinId: dl.twin_id, contractId: dl.contract_id, payload: jobPayload({ target: payload }) }, now);
  } catch (err) {
    if (err instanceof StorageError) ctx.reject(err.message);
    throw err;
  }
  ctx.log.info('deployment accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), workloads: dl.workloads.length });
  return now;
}

/** `zos.deployment.update`: checks, plans the upgrade against the stored deployment, then stores the new version and the update job. */
export async function admitUpdate(ctx: EngineContext, twinKey: TwinKeyLookup, sourceTwin: number, payload: string): Promise<void> {
  const { storage } = ctx;
  const { dl } = await checkDeployment(ctx, twinKey, sourceTwin, payload);
  const cur = storage.get(dl.twin_id, dl.contract_id);
  if (!cur) {
    ctx.reject(storage.contracts(dl.twin_id).length === 0 ? 'twin not found: deployment does not exist' : 'deployment not found: deployment does not exist');
    return;
  }
  let ops: PlanOp[];
  try {
    ops = planDeploymentUpgrade(decodeDeployment(renderDeployment(cur)), dl);
  } catch (err) {
    return ctx.reject(errorText(err));
  }
  try {
    storage.updateDeployment(
      dl.twin_id,
      dl.contract_id,
      { version: dl.version, signatureRequirement: signatureRequirementJson(dl), metadata: dl.metadata, description: dl.description },
      { op: 'update', twinId: dl.twin_id, contractId: dl.contract_id, payload: jobPayload({ target: payload, ops }) },
    );
  } catch (err) {
    if (err instanceof StorageError) ctx.reject(err.message);
    throw err;
  }
  ctx.log.info('deployment update accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), version: dl.version });
}
