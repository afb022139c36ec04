/**
 * `PublicIp`: a public IPv4/IPv6 for one machine of the same deployment (zos-protocol.md §1.5 ip).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { publicIpOutputDocs } from '../provider/resources/public-ip';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

export interface PublicIpArgs extends PlacementArgs {
  /** Reserve a public IPv4 from the farm (default true). */
  v4?: pulumi.Input<boolean>;
  /** Add a public IPv6 (default false). */
  v6?: pulumi.Input<boolean>;
}

/**
 * A public IP for a {@link ZMachine}. The IPv4 is reserved on the node contract when it is created and TFChain
 * cannot add one later: create the PublicIp in a deployment group that is new in the same `up` (for example
 * `deployment: "web"`) and give the machine the same group.
 * @example
 * const ip = new tfgrid.PublicIp("ip", { node: 1, deployment: "web" });
 * const vm = new tfgrid.ZMachine("web", { node: 1, network: net, publicIp: ip, flist, cpu: 1, memory: "1GiB" });
 * export const address = ip.ip;
 */
export class PublicIp extends WorkloadResource {
  /** Public IPv4 in CIDR form, or "". */
  declare readonly ip: pulumi.Output<string>;
  /** Public IPv6 in CIDR form, or "". */
  declare readonly ip6: pulumi.Output<string>;
  /** IPv4 gateway, or "". */
  declare readonly gateway: pulumi.Output<string>;

  constructor(name: string, args: PublicIpArgs, opts?: pulumi.CustomResourceOptions) {
    super('PublicIp', name, { ...placementInputs(name, args), v4: args.v4, v6: args.v6 }, publicIpOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type PublicIpOutputsDeclared = ExpectNone<Undeclared<PublicIp, WorkloadOutputs<typeof publicIpOutputDocs>>>;
