/**
 * `ZMount`: a virtual disk (zos-protocol.md §1.5 zmount). Grows in place; never shrinks.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, withOutputs, type PlacementArgs } from './placement';

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
  declare readonly volumeId: pulumi.Output<string>;
  declare readonly contractId: pulumi.Output<number>;
  declare readonly version: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: ZMountArgs, opts?: pulumi.CustomResourceOptions) {
    super(makeShim('ZMount'), name, withOutputs({ ...placementInputs(name, args), size: args.size }, ['volumeId']), opts, MODULE, 'ZMount');
  }
}
