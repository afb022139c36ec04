/**
 * `FqdnProxy`: a web gateway for your own domain (zos-protocol.md §1.5, §6.5).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import type { Network } from './network';
import { MODULE, placementInputs, withOutputs, type PlacementArgs } from './placement';

export interface FqdnProxyArgs extends PlacementArgs {
  /** Your domain; its DNS must point to the gateway node's public IP. */
  fqdn: pulumi.Input<string>;
  backends: pulumi.Input<pulumi.Input<string>[]>;
  tlsPassthrough?: pulumi.Input<boolean>;
  network?: Network;
}

/**
 * A gateway for a domain you own.
 * @example
 * new tfgrid.FqdnProxy("site", { node: 1, fqdn: "app.example.com", backends: ["http://10.20.2.2:80"], network: net });
 */
export class FqdnProxy extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly name: pulumi.Output<string>;
  declare readonly fqdn: pulumi.Output<string>;
  declare readonly contractId: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: FqdnProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('FqdnProxy'),
      name,
      withOutputs({ ...placementInputs(name, args), fqdn: args.fqdn, backends: args.backends, tlsPassthrough: args.tlsPassthrough, network: args.network?.name }, []),
      opts,
      MODULE,
      'FqdnProxy',
    );
  }
}
