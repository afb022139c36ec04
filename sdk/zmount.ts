/**
 * `ZMount`: a virtual disk (zos-protocol.md §1.5 zmount). Grows in place; never shrinks.
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { zmountOutputDocs } from '../provider/resources/zmount';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

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
export class ZMount extends WorkloadResource {
  declare readonly size: pulumi.Output<number | string>;
  /** The disk id on the node. */
  declare readonly volumeId: pulumi.Output<string>;

  constructor(name: string, args: ZMountArgs, opts?: pulumi.CustomResourceOptions) {
    super('ZMount', name, { ...placementInputs(name, args), size: args.size }, zmountOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZMountOutputsDeclared = ExpectNone<Undeclared<ZMount, WorkloadOutputs<typeof zmountOutputDocs>>>;
