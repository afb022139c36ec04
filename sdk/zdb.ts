/**
 * `Zdb`: a 0-db namespace (zos-protocol.md §1.5 zdb). The password is generated when omitted (secret output).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, secretOpts, withOutputs, type PlacementArgs } from './placement';

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
export class Zdb extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly deployment: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly namespace: pulumi.Output<string>;
  declare readonly ips: pulumi.Output<string[]>;
  declare readonly port: pulumi.Output<number>;
  /** `[ip]:port` of the first address. */
  declare readonly endpoint: pulumi.Output<string>;
  /** The password in effect (secret). */
  declare readonly generatedPassword: pulumi.Output<string>;
  declare readonly contractId: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: ZdbArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('Zdb'),
      name,
      withOutputs({ ...placementInputs(name, args), size: args.size, mode: args.mode, password: args.password, public: args.public }, ['namespace', 'ips', 'port', 'endpoint', 'generatedPassword']),
      secretOpts(opts, ['generatedPassword']),
      MODULE,
      'Zdb',
    );
  }
}
