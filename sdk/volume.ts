/**
 * `Volume`: a directory with a size quota (zos-protocol.md §1.5 volume). Grows in place, even while mounted; never
 * shrinks. Mounted (virtiofs) by a ZMachine like a ZMount, but never its boot disk.
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { volumeOutputDocs } from '../provider/resources/volume';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

export interface VolumeArgs extends PlacementArgs {
  /** Size quota in bytes or with a binary unit: `"10GiB"`. */
  size: pulumi.Input<number | string>;
}

/**
 * A volume on a node, mounted by a {@link ZMachine} of the same node and deployment.
 * @example
 * const vol = new tfgrid.Volume("data", { node: 1, size: "10GiB" });
 * new tfgrid.ZMachine("vm", { node: 1, network: net, flist, cpu: 1, memory: "2GiB", mounts: [{ disk: vol, mountpoint: "/data" }] });
 */
export class Volume extends WorkloadResource {
  declare readonly size: pulumi.Output<number | string>;
  /** The volume id on the node. */
  declare readonly volumeId: pulumi.Output<string>;

  constructor(name: string, args: VolumeArgs, opts?: pulumi.CustomResourceOptions) {
    super('Volume', name, { ...placementInputs(name, args), size: args.size }, volumeOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type VolumeOutputsDeclared = ExpectNone<Undeclared<Volume, WorkloadOutputs<typeof volumeOutputDocs>>>;
