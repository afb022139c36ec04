/**
 * `NameProxy`: a web gateway at `<subdomain>.<gateway node domain>` (zos-protocol.md §1.5, §6.5).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { nameProxyOutputDocs } from '../provider/resources/name-proxy';
import type { Network } from './network';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

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
export class NameProxy extends WorkloadResource {
  /** The public domain name of the gateway. */
  declare readonly fqdn: pulumi.Output<string>;
  /** The name contract reserving the subdomain. */
  declare readonly nameContractId: pulumi.Output<number>;
  /** True when this resource reserved the name (and cancels it on delete). */
  declare readonly ownsNameContract: pulumi.Output<boolean>;
  /** The node's text for `state`, verbatim (why a proxy is in `error`, e.g. its name contract is gone). */
  declare readonly message: pulumi.Output<string>;

  constructor(name: string, args: NameProxyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      'NameProxy',
      name,
      {
        ...placementInputs(name, args),
        subdomain: args.subdomain ?? name.toLowerCase().replace(/[^a-z0-9_-]/g, '-'),
        backends: args.backends,
        tlsPassthrough: args.tlsPassthrough,
        network: args.network?.name,
      },
      nameProxyOutputDocs,
      opts,
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type NameProxyOutputsDeclared = ExpectNone<Undeclared<NameProxy, WorkloadOutputs<typeof nameProxyOutputDocs>>>;
