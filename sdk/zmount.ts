/**
 * `ZMount`: a virtual disk (zos-protocol.md §1.5 zmount). Grows in place; never shrinks.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { zmountOutputDocs } from '../provider/resources/zmount';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, secretOpts, secretOutputs, withOutputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';

export interface ZMountArgs extends PlacementArgs {
  /** Size in bytes or with a binary unit: `"10GiB"`. */
  size: pulumi.Input<number | string>;
}

/**
 * A disk on a node, mounted by a {@link ZMachine} of the same node and deployment.
 * @example
 * const disk = new tfgrid.ZMount("data", { node: 1, size: "10GiB" });
 * new tfgrid.ZMachine("vm", { node: 1, network: net, flist, cpu: 1, memory: "2GiB", mounts: [{ disk, mountpoint: "/data" }] });
 */
export class ZMount extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly deployment: pulumi.Output<string>;
  /** The ZOS workload name. */
  declare readonly name: pulumi.Output<string>;
  declare readonly size: pulumi.Output<number | string>;
  /** The disk id on the node. */
  declare readonly volumeId: pulumi.Output<string>;
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

  constructor(name: string, args: ZMountArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('ZMount'),
      name,
      withOutputs({ ...placementInputs(name, args), size: args.size }, Object.keys(zmountOutputDocs)),
      secretOpts(opts, secretOutputs(zmountOutputDocs)),
      MODULE,
      'ZMount',
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZMountOutputsDeclared = ExpectNone<Undeclared<ZMount, WorkloadOutputs<typeof zmountOutputDocs>>>;
