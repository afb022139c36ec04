/**
 * `FqdnProxy`: a web gateway for your own domain (zos-protocol.md §1.5, §6.5).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { fqdnProxyOutputDocs } from '../provider/resources/fqdn-proxy';
import type { Network } from './network';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

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
export class FqdnProxy extends WorkloadResource {
  /** The domain served. */
  declare readonly fqdn: pulumi.Output<string>;

  constructor(name: string, args: FqdnProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super('FqdnProxy', name, { ...placementInputs(name, args), fqdn: args.fqdn, backends: args.backends, tlsPassthrough: args.tlsPassthrough, network: args.network?.name }, fqdnProxyOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type FqdnProxyOutputsDeclared = ExpectNone<Undeclared<FqdnProxy, WorkloadOutputs<typeof fqdnProxyOutputDocs>>>;
