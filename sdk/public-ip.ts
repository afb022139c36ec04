/**
 * `PublicIp`: a public IPv4/IPv6 for one machine of the same deployment (zos-protocol.md §1.5 ip).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, withOutputs, type PlacementArgs } from './placement';

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
export class PublicIp extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly deployment: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** IPv4 in CIDR form, or "". */
  declare readonly ip: pulumi.Output<string>;
  /** IPv6 in CIDR form, or "". */
  declare readonly ip6: pulumi.Output<string>;
  declare readonly gateway: pulumi.Output<string>;
  declare readonly contractId: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: PublicIpArgs, opts?: pulumi.CustomResourceOptions) {
    super(makeShim('PublicIp'), name, withOutputs({ ...placementInputs(name, args), v4: args.v4, v6: args.v6 }, ['ip', 'ip6', 'gateway']), opts, MODULE, 'PublicIp');
  }
}
