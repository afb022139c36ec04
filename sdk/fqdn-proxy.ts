/**
 * `FqdnProxy`: a web gateway for your own domain (zos-protocol.md §1.5, §6.5).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { fqdnProxyOutputDocs } from '../provider/resources/fqdn-proxy';
import { makeShim } from '../provider/shim';
import type { Network } from './network';
import { MODULE, placementInputs, secretOpts, secretOutputs, withOutputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';

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
  /** The domain served. */
  declare readonly fqdn: pulumi.Output<string>;
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

  constructor(name: string, args: FqdnProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('FqdnProxy'),
      name,
      withOutputs({ ...placementInputs(name, args), fqdn: args.fqdn, backends: args.backends, tlsPassthrough: args.tlsPassthrough, network: args.network?.name }, Object.keys(fqdnProxyOutputDocs)),
      secretOpts(opts, secretOutputs(fqdnProxyOutputDocs)),
      MODULE,
      'FqdnProxy',
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type FqdnProxyOutputsDeclared = ExpectNone<Undeclared<FqdnProxy, WorkloadOutputs<typeof fqdnProxyOutputDocs>>>;
