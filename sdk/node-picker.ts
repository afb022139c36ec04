/**
 * Choosing nodes: `NodePicker` (a sticky choice kept in state) and `findNodes` (a one-off lookup), by free
 * capacity, public IPs, gateway domain, farm, country, rental (dedicated, rentable, rented by me), certification
 * and GPU, through the grid proxy (the chain and `zos.statistics.get` where there is none).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { findRanked, nodePickerInputsSchema, nodePickerOutputDocs, type NodeCandidate, type NodePickerInputs } from '../provider/resources/node-picker';
import { addConfigSource, getRuntime } from '../provider/runtime';
import { makeShim } from '../provider/shim';
import { MODULE, secretOpts, secretOutputs, type ExpectNone, type Undeclared } from './placement';
import { programConfig, programError } from './program';
import { accountInput, type AccountArgs } from './account';

export interface NodeFilter {
  /** Free logical CPUs. */
  cpu?: pulumi.Input<number>;
  /** Free memory: bytes or `"4GiB"`. */
  memory?: pulumi.Input<number | string>;
  ssd?: pulumi.Input<number | string>;
  hdd?: pulumi.Input<number | string>;
  /** Free public IPv4 addresses needed in the node's farm. */
  publicIpv4?: pulumi.Input<number>;
  publicIpv6?: pulumi.Input<boolean>;
  /** Needs a gateway domain (for NameProxy). */
  domain?: pulumi.Input<boolean>;
  farmId?: pulumi.Input<number>;
  /** Only nodes of one of these farms. */
  farmIds?: pulumi.Input<pulumi.Input<number>[]>;
  /** Only nodes of the farm with this name. */
  farmName?: pulumi.Input<string>;
  country?: pulumi.Input<string>;
  city?: pulumi.Input<string>;
  /** Node ids never to pick. */
  exclude?: pulumi.Input<pulumi.Input<number>[]>;
  /** true: only nodes of a dedicated farm (rent one with a RentContract); false: only nodes of shared farms. */
  dedicated?: pulumi.Input<boolean>;
  /** Only nodes free to rent (for a RentContract); other filters offer only nodes you may deploy on. */
  rentable?: pulumi.Input<boolean>;
  /** Only nodes you rent (your twin's RentContract). */
  rentedByMe?: pulumi.Input<boolean>;
  certified?: pulumi.Input<boolean>;
  hasGpu?: pulumi.Input<boolean>;
  /** Only nodes with a GPU whose vendor name contains this, any case (e.g. "NVIDIA"). */
  gpuVendorName?: pulumi.Input<string>;
  /** Only nodes with a GPU whose device name contains this, any case (e.g. "A100"). */
  gpuDeviceName?: pulumi.Input<string>;
  /** Only nodes with a GPU of this PCI vendor id (e.g. "10de"). */
  gpuVendorId?: pulumi.Input<string>;
  /** Only nodes with a GPU of this PCI device id. */
  gpuDeviceId?: pulumi.Input<string>;
  /** Only nodes with a GPU no contract uses (with the other GPU filters: that card). */
  gpuAvailable?: pulumi.Input<boolean>;
  /** How many distinct nodes (`nodeIds`, best first; `nodeId` is the first). Default 1. */
  count?: pulumi.Input<number>;
  /** Search the grid of this account (twin and network) instead of the stack's; passed as a secret. */
  account?: pulumi.Input<AccountArgs>;
}

/**
 * Picks a node once and keeps it: later `up`s never move your workloads. A changed filter the node still
 * satisfies keeps it (an update); one it no longer satisfies picks a new node (a replacement, named in preview).
 * @example
 * const node = new tfgrid.NodePicker("web-node", { cpu: 2, memory: "4GiB", publicIpv4: 1 }).nodeId;
 * const vm = new tfgrid.ZMachine("web", { node, network: net, flist, cpu: 2, memory: "4GiB" });
 */
export class NodePicker extends pulumi.dynamic.Resource {
  /** The chosen node (the first of `nodeIds`). */
  declare readonly nodeId: pulumi.Output<number>;
  /** The chosen nodes: `count` distinct ones, best first. */
  declare readonly nodeIds: pulumi.Output<number[]>;
  /** The chosen node's farm. */
  declare readonly farmId: pulumi.Output<number>;
  /** The chosen node's gateway domain, or "". */
  declare readonly gatewayDomain: pulumi.Output<string>;
  /** The chosen node's country as registered on the chain, or "". */
  declare readonly nodeCountry: pulumi.Output<string>;
  /** Whether the chosen node has a public IPv6. */
  declare readonly nodeIpv6: pulumi.Output<boolean>;

  constructor(name: string, filter: NodeFilter, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...filter, account: accountInput(filter.account) };
    for (const k of Object.keys(nodePickerOutputDocs)) if (!(k in props)) props[k] = undefined;
    super(makeShim('NodePicker'), name, props, secretOpts(opts, secretOutputs(nodePickerOutputDocs)), MODULE, 'NodePicker');
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type NodePickerOutputsDeclared = ExpectNone<Undeclared<NodePicker, keyof typeof nodePickerOutputDocs>>;

/**
 * Lists the nodes matching a filter right now (not sticky), best first. Connects as the resources do: the stack's
 * `tfgrid:*` config (`pulumi config set tfgrid:network test`, `-c` of `tfgrid local deploy`), then `TFGRID_*`
 * environment variables, then the local grid. A failure rejects with a `pulumi.RunError` saying what to fix.
 * @example
 * const [best] = await tfgrid.findNodes({ memory: "2GiB", domain: true });
 */
export async function findNodes(filter: Partial<NodePickerInputs>): Promise<NodeCandidate[]> {
  try {
    return await candidates(filter);
  } catch (err) {
    throw programError('findNodes', err);
  }
}

async function candidates(filter: Partial<NodePickerInputs>): Promise<NodeCandidate[]> {
  const f = nodePickerInputsSchema.parse(filter);
  // In the program's process no provider was configured: the stack's config comes from the program's own view.
  addConfigSource(programConfig);
  const rt = await getRuntime(f.account);
  return findRanked(rt.deps, f);
}
