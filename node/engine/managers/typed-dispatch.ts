/**
 * The seam between the engine, which holds a workload's `data` by its type string, and a typed `Manager<T>`:
 * `typedDispatch(type, manager)` decodes the data with the type's own schema (`protocol/zos/types/<type>.ts`)
 * and calls the manager with `WorkloadDataOf<T>`. The engine admitted the deployment through the same schemas,
 * so decoding again takes the fast path and cannot fail unless the engine hands a manager the wrong workload.
 * @module
 */
import { InternalError } from '../../../protocol/common/errors';
import { goParse } from '../../../protocol/zos/go-json';
import { kindOf, type WorkloadDataOf, type WorkloadType } from '../../../protocol/zos/types';
import type { Manager, WorkloadManager } from './manager';

/** `data` as `type`'s schema decodes it; an InternalError when it does not (the engine validated it on admission). */
export function decodeData<T extends WorkloadType>(type: T, data: unknown): WorkloadDataOf<T> {
  const r = goParse(kindOf(type).data, data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InternalError(`${type} manager: workload data does not decode (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
  }
  // kindOf loses T; the schema that just decoded `data` is WORKLOAD_KINDS[T].data.
  return r.data as WorkloadDataOf<T>;
}

/** `manager` as the engine calls it for workloads of `type`: each call decodes `data` (and `previous`) first. */
export function typedDispatch<T extends WorkloadType>(type: T, manager: Manager<T>): WorkloadManager {
  const { update, pause, resume, health, restart } = manager;
  const decode = (data: unknown) => decodeData(type, data);
  return {
    provision: (ctx, data) => manager.provision(ctx, decode(data)),
    deprovision: (ctx, data) => manager.deprovision(ctx, decode(data)),
    ...(update && { update: (ctx, data, previous) => update(ctx, decode(data), decode(previous)) }),
    ...(pause && { pause: (ctx, data) => pause(ctx, decode(data)) }),
    ...(resume && { resume: (ctx, data) => resume(ctx, decode(data)) }),
    ...(health && { health: (ctx, data) => health(ctx, decode(data)) }),
    ...(restart && { restart: (ctx, data) => restart(ctx, decode(data)) }),
  };
}
