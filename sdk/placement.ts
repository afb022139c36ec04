/**
 * Where a workload goes (DESIGN.md §4): a node and a deployment group. Workloads of one group on one node share
 * one ZOS deployment (one node contract); the default group is one per stack (`<project>.<stack>`). Also the
 * plumbing every SDK class shares: the common arguments and the output properties a dynamic resource exposes.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { INPUTS_KEY } from '../provider/checked-inputs';
import { toWorkloadName } from '../provider/inputs';
import { accountInput, type AccountArgs } from './account';

/** Arguments every workload resource takes. */
export interface PlacementArgs {
  /** The node id (a number, or a `NodePicker`'s `nodeId`). */
  node: pulumi.Input<number>;
  /**
   * Deployment group: workloads with the same group on the same node share one deployment and contract.
   * Default: one group per stack, `<project>.<stack>`.
   */
  deployment?: pulumi.Input<string>;
  /** ZOS workload name (letters, digits, `_`; ≤ 36). Default: the resource name with other characters as `_`. */
  workloadName?: string;
  description?: pulumi.Input<string>;
  /** Take over the deployment with this contract id instead of creating one (dynamic providers cannot `pulumi import`). */
  adoptContractId?: pulumi.Input<number>;
  /**
   * How long to wait for the grid (Pulumi's `customTimeouts` never reach a dynamic provider): one duration for
   * create, update and delete, or each on its own; seconds or a number with s, m or h. Default: `tfgrid:deployTimeout`.
   * @example { create: "20m", delete: "5m" }
   */
  timeout?: pulumi.Input<TimeoutArg>;
  /**
   * The twin and network this resource deploys with, instead of the stack config (`tfgrid:mnemonic`,
   * `tfgrid:network`); passed as a secret. Changing it replaces the resource (its contract belongs to the twin).
   * @example { mnemonic: cfg.requireSecret("mnemonic2"), network: "test" }
   */
  account?: pulumi.Input<AccountArgs>;
}

/** A duration: seconds, or "90s", "10m", "1h". */
export type Duration = number | string;
/** The `timeout` input of every resource that waits for the grid. */
export type TimeoutArg = Duration | { create?: Duration; update?: Duration; delete?: Duration };

/** `<project>.<stack>` made safe for a group name. */
export function defaultDeployment(): string {
  return `${pulumi.getProject()}.${pulumi.getStack()}`.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 64);
}

/** The common inputs for the provider. */
export function placementInputs(resourceName: string, args: PlacementArgs, deployment?: pulumi.Input<string>): Record<string, unknown> {
  return {
    node: args.node,
    deployment: args.deployment ?? deployment ?? defaultDeployment(),
    name: args.workloadName ?? toWorkloadName(resourceName),
    description: args.description,
    adoptContractId: args.adoptContractId,
    timeout: args.timeout,
    account: accountInput(args.account),
  };
}

/** Outputs every workload resource has. */
export const COMMON_OUTPUTS = ['twinId', 'contractId', 'version', 'state', 'message', 'workloadId'] as const;

/** Every output a workload resource has: the common ones and those of its kind (`<kind>OutputDocs`). */
export type WorkloadOutputs<Docs> = keyof Docs | (typeof COMMON_OUTPUTS)[number];

/** Output docs as the provider resource files export them (`zdbOutputDocs`, …). */
export type OutputDocs = Readonly<Record<string, { readonly description: string; readonly secret?: boolean }>>;

/** The outputs `docs` marks secret, for `secretOpts` (the schema marks the same ones). */
export function secretOutputs(docs: OutputDocs): string[] {
  return Object.keys(docs).filter((k) => docs[k].secret === true);
}

/** Adds `undefined` for each output name, so the dynamic resource exposes it as an Output property. */
export function withOutputs(inputs: Record<string, unknown>, outputs: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = { ...inputs };
  for (const k of [...COMMON_OUTPUTS, ...outputs]) if (!(k in all)) all[k] = undefined;
  return all;
}

/**
 * Compile-time check that an SDK class declares every output the provider documents (pulumi-notes.md §2.7: the
 * schema and the SDK describe one set of outputs). `ExpectNone<Undeclared<ZMachine, 'myceliumSeed'>>` fails `tsc`
 * with "Type '"myceliumSeed"' does not satisfy the constraint 'never'" until the class declares `myceliumSeed`.
 */
export type Undeclared<R, K extends PropertyKey> = Exclude<K, keyof R>;
export type ExpectNone<T extends never> = T;

/**
 * Options with our secret outputs added to the caller's. `__inputs` (the checked inputs every resource records
 * for its diff, provider/checked-inputs.ts) holds input values, some of them secret, so it is always secret; so is
 * `account` (its mnemonic), wherever a resource keeps it among its outputs.
 */
export function secretOpts(opts: pulumi.CustomResourceOptions | undefined, secrets: string[]): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secrets, INPUTS_KEY, 'account'] };
}

/** Options with `res` added to the caller's `dependsOn` (a list, one resource, or an Output of either). */
export function dependOn(opts: pulumi.CustomResourceOptions | undefined, res: pulumi.Resource): pulumi.CustomResourceOptions {
  const given = opts?.dependsOn;
  if (given === undefined) return { ...opts, dependsOn: [res] };
  if (Array.isArray(given)) return { ...opts, dependsOn: [...given, res] };
  const list = pulumi.output(given as pulumi.Input<pulumi.Resource | pulumi.Resource[]>).apply((g) => [...(Array.isArray(g) ? g : [g]), res]);
  return { ...opts, dependsOn: list };
}

/** The dynamic-resource module name: type tokens are `pulumi-nodejs:dynamic/tfgrid:<Type>`. */
export const MODULE = 'tfgrid';
