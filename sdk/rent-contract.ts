/**
 * `RentContract`: rents a whole node on TFChain (see provider/resources/rent-contract.ts). Deployments on the node
 * should depend on it, so `up` rents first and `destroy` removes them before cancelling the rent (which the chain
 * refuses while node contracts remain).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { rentContractOutputDocs } from '../provider/resources/rent-contract';
import { makeShim } from '../provider/shim';
import { accountInput, type AccountArgs } from './account';
import { MODULE, secretOpts, secretOutputs, type ExpectNone, type Undeclared } from './placement';

export interface RentContractArgs {
  /** The node to rent. */
  node: pulumi.Input<number>;
  /** Solution provider id on the contract (approved on the chain). */
  solutionProviderId?: pulumi.Input<number>;
  /** The renting twin and its network instead of the stack config (secret); changing it replaces the contract. */
  account?: pulumi.Input<AccountArgs>;
}

/**
 * A rented node: only its renter may deploy there.
 * @example
 * const rent = new tfgrid.RentContract("rent", { node: 7 });
 * const disk = new tfgrid.ZMount("data", { node: rent.node, size: "10GiB" }, { dependsOn: [rent] });
 */
export class RentContract extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  /** The rent contract id on TFChain. */
  declare readonly contractId: pulumi.Output<number>;
  /** The renting twin. */
  declare readonly twinId: pulumi.Output<number>;
  /** `created`, `grace`, or gone after a refresh. */
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: RentContractArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { node: args.node, solutionProviderId: args.solutionProviderId, account: accountInput(args.account) };
    for (const k of Object.keys(rentContractOutputDocs)) props[k] = undefined;
    super(makeShim('RentContract'), name, props, secretOpts(opts, secretOutputs(rentContractOutputDocs)), MODULE, 'RentContract');
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type RentContractOutputsDeclared = ExpectNone<Undeclared<RentContract, keyof typeof rentContractOutputDocs>>;
