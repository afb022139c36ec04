/**
 * `Qsfs`: a quantum-safe file system over Zdb namespaces (zos-protocol.md §1.5 qsfs). Keys are generated when
 * omitted and are secret outputs.
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { qsfsOutputDocs } from '../provider/resources/qsfs';
import { placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';
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
export class Qsfs extends WorkloadResource {
  /** Mount path on the node. */
  declare readonly path: pulumi.Output<string>;
  /** Prometheus metrics endpoint. */
  declare readonly metricsEndpoint: pulumi.Output<string>;
  /** The data encryption key in effect, given or generated (secret). */
  declare readonly dataKey: pulumi.Output<string>;
  /** The metadata encryption key in effect, given or generated (secret). */
  declare readonly metaKey: pulumi.Output<string>;

  constructor(name: string, args: QsfsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      'Qsfs',
      name,
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
      qsfsOutputDocs,
      opts,
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type QsfsOutputsDeclared = ExpectNone<Undeclared<Qsfs, WorkloadOutputs<typeof qsfsOutputDocs>>>;
