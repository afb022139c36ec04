/**
 * `NameProxy`: a web gateway at `<subdomain>.<gateway node domain>` (zos-protocol.md §1.5, §6.5).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import type { Network } from './network';
import { MODULE, placementInputs, withOutputs, type PlacementArgs } from './placement';

export interface NameProxyArgs extends PlacementArgs {
  /** Subdomain (3..64 of a-z 0-9 _ -), reserved as a TFChain name contract. Default: the resource name in lowercase. */
  subdomain?: pulumi.Input<string>;
  /** `http://ip:port` backends (or `ip:port` with tlsPassthrough). */
  backends: pulumi.Input<pulumi.Input<string>[]>;
  tlsPassthrough?: pulumi.Input<boolean>;
  /** Reach private backends through this network (the gateway node must be in it). */
  network?: Network;
}

/**
 * A gateway with a name under the node's domain.
 * @example
 * const gw = new tfgrid.NameProxy("app", { node: 1, backends: [pulumi.interpolate`http://${vm.privateIp}:8080`], network: net });
 * export const url = pulumi.interpolate`https://${gw.fqdn}`;
 */
export class NameProxy extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly name: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;
  declare readonly nameContractId: pulumi.Output<number>;
  declare readonly contractId: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: NameProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('NameProxy'),
      name,
      withOutputs(
        {
          ...placementInputs(name, args),
          subdomain: args.subdomain ?? name.toLowerCase().replace(/[^a-z0-9_-]/g, '-'),
          backends: args.backends,
          tlsPassthrough: args.tlsPassthrough,
          network: args.network?.name,
        },
        ['fqdn', 'nameContractId', 'ownsNameContract'],
      ),
      opts,
      MODULE,
      'NameProxy',
    );
  }
}
