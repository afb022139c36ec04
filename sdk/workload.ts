/**
 * The base of every SDK class that is one ZOS workload (ZMount, ZMachine, Zdb, Qsfs, PublicIp, NameProxy,
 * FqdnProxy, ZLogs): the outputs they all have, and the one way they hand inputs to their provider (the serialized
 * shim, every documented output exposed, the secret ones marked, the `tfgrid:<Type>` token).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import type { WorkloadTypeName } from '../provider/kinds';
import { makeShim } from '../provider/shim';
import { MODULE, secretOpts, secretOutputs, withOutputs, type OutputDocs } from './placement';

export abstract class WorkloadResource extends pulumi.dynamic.Resource {
  /** The node the workload runs on. */
  declare readonly node: pulumi.Output<number>;
  /** The deployment group holding it on that node. */
  declare readonly deployment: pulumi.Output<string>;
  /** The ZOS workload name. */
  declare readonly name: pulumi.Output<string>;
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

  /** `inputs` as the provider checks them; `outputs` the kind's documented outputs (`<kind>OutputDocs`). */
  protected constructor(type: WorkloadTypeName, name: string, inputs: Record<string, unknown>, outputs: OutputDocs, opts: pulumi.CustomResourceOptions | undefined) {
    super(makeShim(type), name, withOutputs(inputs, Object.keys(outputs)), secretOpts(opts, secretOutputs(outputs)), MODULE, type);
  }
}
