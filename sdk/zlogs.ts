/**
 * `ZLogs`: stream a machine's logs (zos-protocol.md §1.5 zlogs).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { zlogsOutputDocs } from '../provider/resources/zlogs';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, secretOpts, secretOutputs, withOutputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
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
export class ZLogs extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  /** The deploying twin. */
  declare readonly twinId: pulumi.Output<number>;
  /** Node contract of the deployment holding the workload. */
  declare readonly contractId: pulumi.Output<number>;
  /** Version of the workload in its deployment. */
  declare readonly version: pulumi.Output<number>;
  /** Workload state on the node: `ok`, `error`, `paused`, `init`, `gone` or `unreachable`. */
  declare readonly state: pulumi.Output<string>;
  /** The node's text for `state`, verbatim (why the workload is in `error`). */
  declare readonly message: pulumi.Output<string>;
  /** ZOS workload id, `<twin>-<contract>-<name>`. */
  declare readonly workloadId: pulumi.Output<string>;

  constructor(name: string, args: ZLogsArgs, opts?: pulumi.CustomResourceOptions) {
    const placement = { ...args, node: args.node ?? args.zmachine.node };
    super(
      makeShim('ZLogs'),
      name,
      withOutputs({ ...placementInputs(name, placement, args.zmachine.deployment), zmachine: args.zmachine.name, output: args.output }, Object.keys(zlogsOutputDocs)),
      secretOpts(opts, secretOutputs(zlogsOutputDocs)),
      MODULE,
      'ZLogs',
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZLogsOutputsDeclared = ExpectNone<Undeclared<ZLogs, WorkloadOutputs<typeof zlogsOutputDocs>>>;
