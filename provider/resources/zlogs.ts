/**
 * ZLogs: streams a ZMachine's logs to a redis/ws/wss URL (zos-protocol.md §1.5 zlogs). The machine must be in the
 * same deployment. Cannot be updated in place: a change replaces it.
 * @module
 */
import { z } from 'zod';
import { workloadNameSchema } from '../inputs';
import { commonInputShape, type ResourceKind } from '../workload-resource';

export const zlogsInputsSchema = z.object({
  ...commonInputShape,
  /** Workload name of the ZMachine (the SDK passes the ZMachine object). */
  zmachine: workloadNameSchema,
  /** Where logs go: redis://, ws:// or wss:// URL. */
  output: z.string().refine((u) => {
    try {
      return ['redis:', 'ws:', 'wss:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, 'must be a redis://, ws:// or wss:// URL (ZOS: invalid output schema)'),
});
export type ZLogsInputs = z.infer<typeof zlogsInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const zlogsOutputDocs = {} as const satisfies ResourceKind<ZLogsInputs>['outputDocs'];

export const zlogsKind: ResourceKind<ZLogsInputs, 'zlogs'> = {
  typeName: 'ZLogs',
  workloadType: 'zlogs',
  description: 'Streams the logs of a ZMachine of the same deployment to a redis/ws/wss endpoint.',
  inputs: zlogsInputsSchema,
  outputDocs: zlogsOutputDocs,
  toWire: (i) => ({ zmachine: i.zmachine, output: i.output }),
  resultOutputs: () => ({}),
};
