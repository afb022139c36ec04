/**
 * `Zdb`: a 0-db namespace (zos-protocol.md §1.5 zdb). The password is generated when omitted (secret output).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { zdbOutputDocs } from '../provider/resources/zdb';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';

export interface ZdbArgs extends PlacementArgs {
  /** Size in bytes or `"10GiB"` (HDD). Grows in place; never shrinks. */
  size: pulumi.Input<number | string>;
  /** `user` (default) or `seq` (for Qsfs). Changing it replaces the namespace. */
  mode?: pulumi.Input<'user' | 'seq'>;
  /** Password; generated when omitted. */
  password?: pulumi.Input<string>;
  public?: pulumi.Input<boolean>;
}

/**
 * A zdb namespace.
 * @example
 * const db = new tfgrid.Zdb("db", { node: 1, size: "10GiB", mode: "seq" });
 * export const endpoint = db.endpoint;
 */
export class Zdb extends WorkloadResource {
  /** Namespace name on the zdb server. */
  declare readonly namespace: pulumi.Output<string>;
  /** Addresses of the zdb server. */
  declare readonly ips: pulumi.Output<string[]>;
  /** Port of the zdb server (9900). */
  declare readonly port: pulumi.Output<number>;
  /** `[ip]:port` of the first address, as qsfs backends want it. */
  declare readonly endpoint: pulumi.Output<string>;
  /** The password in effect, given or generated (secret). */
  declare readonly generatedPassword: pulumi.Output<string>;

  constructor(name: string, args: ZdbArgs, opts?: pulumi.CustomResourceOptions) {
    super('Zdb', name, { ...placementInputs(name, args), size: args.size, mode: args.mode, password: args.password, public: args.public }, zdbOutputDocs, opts);
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZdbOutputsDeclared = ExpectNone<Undeclared<Zdb, WorkloadOutputs<typeof zdbOutputDocs>>>;
