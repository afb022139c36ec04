/**
 * `ZLogs`: stream a machine's logs (zos-protocol.md §1.5 zlogs).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, withOutputs, type PlacementArgs } from './placement';
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
  declare readonly contractId: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: ZLogsArgs, opts?: pulumi.CustomResourceOptions) {
    const placement = { ...args, node: args.node ?? args.zmachine.node };
    super(
      makeShim('ZLogs'),
      name,
      withOutputs({ ...placementInputs(name, placement, args.zmachine.deployment), zmachine: args.zmachine.name, output: args.output }, []),
      opts,
      MODULE,
      'ZLogs',
    );
  }
}
