/**
 * `Qsfs`: a quantum-safe file system over Zdb namespaces (zos-protocol.md §1.5 qsfs). Keys are generated when
 * omitted and are secret outputs.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { qsfsOutputDocs } from '../provider/resources/qsfs';
import { makeShim } from '../provider/shim';
import { MODULE, placementInputs, secretOpts, secretOutputs, withOutputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import type { Zdb } from './zdb';

export interface QsfsArgs extends PlacementArgs {
  /** Local cache size: bytes or `"1GiB"`. */
  cache: pulumi.Input<number | string>;
  minimalShards: pulumi.Input<number>;
  expectedShards: pulumi.Input<number>;
  redundantGroups?: pulumi.Input<number>;
  redundantNodes?: pulumi.Input<number>;
  maxZdbDataDirSize?: pulumi.Input<number>;
  encryptionKey?: pulumi.Input<string>;
  /** Metadata store: a key prefix and zdb namespaces (usually `mode: "user"`). */
  metadata: { prefix: pulumi.Input<string>; encryptionKey?: pulumi.Input<string>; zdbs: Zdb[] };
  /** Data groups, each a list of zdb namespaces (usually `mode: "seq"`). */
  groups: Zdb[][];
}

const backend = (z: Zdb) => ({ address: z.endpoint, namespace: z.namespace, password: z.generatedPassword });

/**
 * A qsfs file system, mountable into machines of the same deployment.
 * @example
 * const zdbs = [1, 2, 3].map((i) => new tfgrid.Zdb(`d${i}`, { node: 2, size: "10GiB", mode: "seq" }));
 * const meta = [new tfgrid.Zdb("m", { node: 2, size: "1GiB", mode: "user" })];
 * const fs = new tfgrid.Qsfs("qs", { node: 1, cache: "1GiB", minimalShards: 2, expectedShards: 3, metadata: { prefix: "qs", zdbs: meta }, groups: [zdbs] });
 */
export class Qsfs extends pulumi.dynamic.Resource {
  declare readonly node: pulumi.Output<number>;
  declare readonly deployment: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** Mount path on the node. */
  declare readonly path: pulumi.Output<string>;
  /** Prometheus metrics endpoint. */
  declare readonly metricsEndpoint: pulumi.Output<string>;
  /** The data encryption key in effect, given or generated (secret). */
  declare readonly dataKey: pulumi.Output<string>;
  /** The metadata encryption key in effect, given or generated (secret). */
  declare readonly metaKey: pulumi.Output<string>;
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

  constructor(name: string, args: QsfsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      makeShim('Qsfs'),
      name,
      withOutputs(
        {
          ...placementInputs(name, args),
          cache: args.cache,
          minimalShards: args.minimalShards,
          expectedShards: args.expectedShards,
          redundantGroups: args.redundantGroups,
          redundantNodes: args.redundantNodes,
          maxZdbDataDirSize: args.maxZdbDataDirSize,
          encryptionKey: args.encryptionKey,
          metadata: { prefix: args.metadata.prefix, encryptionKey: args.metadata.encryptionKey, backends: args.metadata.zdbs.map(backend) },
          groups: args.groups.map((g) => ({ backends: g.map(backend) })),
        },
        Object.keys(qsfsOutputDocs),
      ),
      secretOpts(opts, secretOutputs(qsfsOutputDocs)),
      MODULE,
      'Qsfs',
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type QsfsOutputsDeclared = ExpectNone<Undeclared<Qsfs, WorkloadOutputs<typeof qsfsOutputDocs>>>;
