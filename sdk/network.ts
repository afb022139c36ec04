/**
 * `Network`: a private network spanning nodes (zos-protocol.md §1.5 network, §6.4).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { toWorkloadName } from '../provider/inputs';
import { NETWORK_SECRET_OUTPUTS } from '../provider/resources/network';
import { makeShim } from '../provider/shim';
import { MODULE, secretOpts } from './placement';

export interface NetworkArgs {
  /** Nodes the network spans (one /24 each). */
  nodes: pulumi.Input<pulumi.Input<number>[]>;
  /** Network name; default: the resource name. */
  networkName?: string;
  /** Private IPv4 /16 (default 10.20.0.0/16). */
  ipRange?: pulumi.Input<string>;
  /** Add a WireGuard peer for your machine; `accessConfig` is a wg-quick file. */
  addWgAccess?: pulumi.Input<boolean>;
  /** The public node serving the access peer. */
  accessNode?: pulumi.Input<number>;
  mycelium?: pulumi.Input<boolean>;
  description?: pulumi.Input<string>;
}

const OUTPUTS = ['nodeSubnets', 'wgPorts', 'wgPublicKeys', 'wgPrivateKeys', 'myceliumKeys', 'endpoints', 'contractIds', 'accessSubnet', 'accessNodeId', 'accessPrivateKey', 'accessConfig', 'twinId', 'state'];

/**
 * A WireGuard network over several nodes. Machines join it by reference (`network: net`).
 * @example
 * const net = new tfgrid.Network("net", { nodes: [1, 2], addWgAccess: true });
 * export const wgConfig = net.accessConfig; // secret
 */
export class Network extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly nodes: pulumi.Output<number[]>;
  declare readonly ipRange: pulumi.Output<string>;
  declare readonly mycelium: pulumi.Output<boolean>;
  /** Node id → /24 on that node. */
  declare readonly nodeSubnets: pulumi.Output<Record<string, string>>;
  declare readonly wgPorts: pulumi.Output<Record<string, number>>;
  declare readonly wgPublicKeys: pulumi.Output<Record<string, string>>;
  /** Secret. */
  declare readonly wgPrivateKeys: pulumi.Output<Record<string, string>>;
  declare readonly endpoints: pulumi.Output<Record<string, string>>;
  declare readonly contractIds: pulumi.Output<Record<string, number>>;
  declare readonly accessSubnet: pulumi.Output<string>;
  /** wg-quick config for your machine (secret). */
  declare readonly accessConfig: pulumi.Output<string>;
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {
      name: args.networkName ?? toWorkloadName(name),
      nodes: args.nodes,
      ipRange: args.ipRange,
      addWgAccess: args.addWgAccess,
      accessNode: args.accessNode,
      mycelium: args.mycelium,
      description: args.description,
    };
    for (const k of OUTPUTS) props[k] = undefined;
    super(makeShim('Network'), name, props, secretOpts(opts, NETWORK_SECRET_OUTPUTS), MODULE, 'Network');
  }
}
