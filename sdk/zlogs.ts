/**
 * `ZLogs`: stream a machine's logs (zos-protocol.md §1.5 zlogs).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { zlogsOutputDocs } from '../provider/resources/zlogs';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';
import type { ZMachine } from './zmachine';

export interface ZLogsArgs extends Partial<PlacementArgs> {
  /** The machine; the logs workload joins its node and deployment. */
  zmachine: ZMachine;
  /** `redis://`, `ws://` or `wss://` URL. */
  output: pulumi.Input<string>;
}

/**
 * Streams a ZMachine's logs.
 * @example
 * new tfgrid.ZLogs("logs", { zmachine: vm, output: "redis://10.20.2.9:6379" });
 */
export class ZLogs extends WorkloadResource {
  constructor(name: string, args: ZLogsArgs, opts?: pulumi.CustomResourceOptions) {
    const placement = { ...args, node: args.node ?? args.zmachine.node };
    super('ZLogs', name, { ...placementInputs(name, placement, args.zmachine.deployment), zmachine: args.zmachine.name, output: args.output }, zlogsOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZLogsOutputsDeclared = ExpectNone<Undeclared<ZLogs, WorkloadOutputs<typeof zlogsOutputDocs>>>;
