/**
 * `Network`: a private network spanning nodes (zos-protocol.md §1.5 network, §6.4).
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { toWorkloadName } from '../provider/inputs';
import { DEFAULT_NETWORK_RANGE, NETWORK_SECRET_OUTPUTS, networkOutputDocs } from '../provider/resources/network';
import { makeShim } from '../provider/shim';
import { accountInput, type AccountArgs } from './account';
import { MODULE, secretOpts, type ExpectNone, type Undeclared } from './placement';

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
  /**
   * Node id → the network's mycelium key on that node (64 hex; passed as a secret). Nodes left out get a random key,
   * made once and kept while the network keeps its name and `ipRange`; with the machines' `myceliumSeed` it pins
   * every mycelium IP. Needs `mycelium: true`.
   * @example
   * const key = new random.RandomBytes("myc1", { length: 32 }); // @pulumi/random
   * new tfgrid.Network("net", { nodes: [1], mycelium: true, myceliumKeys: { "1": key.hex } });
   */
  myceliumKeys?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  description?: pulumi.Input<string>;
  /**
   * The twin and network it deploys with instead of the stack config (secret); the machines on it must name the
   * same account (a network belongs to its twin). Changing it replaces the network.
   */
  account?: pulumi.Input<AccountArgs>;
}

/**
 * What a machine joining the network passes to the provider: the network's identity and node list as the args
 * give them, known at preview, never the network's outputs (which are unknown while it updates). See
 * provider/resources/zmachine.ts.
 */
export interface NetworkMembership {
  name: string;
  ipRange: pulumi.Input<string>;
  mycelium: pulumi.Input<boolean>;
  nodes: pulumi.Input<pulumi.Input<number>[]>;
}

/** The provider's outputs (`networkOutputDocs`, also schema.json's): each is registered and declared below. */
const OUTPUTS = Object.keys(networkOutputDocs);

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
  /** Node id → WireGuard listen port (kept across updates). */
  declare readonly wgPorts: pulumi.Output<Record<string, number>>;
  /** Node id → WireGuard public key. */
  declare readonly wgPublicKeys: pulumi.Output<Record<string, string>>;
  /** Node id → WireGuard private key (secret). */
  declare readonly wgPrivateKeys: pulumi.Output<Record<string, string>>;
  /** Node id → the network's mycelium private key on that node, 32 bytes hex; `{}` without `mycelium` (secret). */
  declare readonly myceliumKeys: pulumi.Output<Record<string, string>>;
  /** Node id → the workload type there: `network`, or `network-light` on a light node (found from the node's features). */
  declare readonly nodeTypes: pulumi.Output<Record<string, string>>;
  /** Node id → public WireGuard endpoint IP, `""` for hidden nodes. */
  declare readonly endpoints: pulumi.Output<Record<string, string>>;
  /** Node id → node contract of that node's network deployment. */
  declare readonly contractIds: pulumi.Output<Record<string, number>>;
  /** The access peer's /24, `""` without `addWgAccess`. */
  declare readonly accessSubnet: pulumi.Output<string>;
  /**
   * The node serving the access peer (`accessNode`, or the first node with a public IP); 0 without `addWgAccess`.
   * @example
   * export const accessNodeId = net.accessNodeId; // the node your wg-quick config dials
   */
  declare readonly accessNodeId: pulumi.Output<number>;
  /** WireGuard private key of the access peer (secret; also inside `accessConfig`). */
  declare readonly accessPrivateKey: pulumi.Output<string>;
  /** wg-quick config for your machine (secret). */
  declare readonly accessConfig: pulumi.Output<string>;
  /** The deploying twin. */
  declare readonly twinId: pulumi.Output<number>;
  /** `ok`, or the worst per-node state after a refresh. */
  declare readonly state: pulumi.Output<string>;

  /** What a machine joining this network uses (from the args; machines also depend on the Network for order). */
  readonly membership: NetworkMembership;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const membership: NetworkMembership = {
      name: args.networkName ?? toWorkloadName(name),
      ipRange: args.ipRange ?? DEFAULT_NETWORK_RANGE,
      mycelium: args.mycelium ?? false,
      nodes: args.nodes,
    };
    const props: Record<string, unknown> = {
      name: membership.name,
      nodes: args.nodes,
      ipRange: args.ipRange,
      addWgAccess: args.addWgAccess,
      accessNode: args.accessNode,
      mycelium: args.mycelium,
      // A key is a secret from the program on: never in plain text in the state or the engine's messages.
      myceliumKeys: args.myceliumKeys === undefined ? undefined : pulumi.secret(args.myceliumKeys),
      description: args.description,
      account: accountInput(args.account),
    };
    for (const k of OUTPUTS) props[k] = undefined;
    super(makeShim('Network'), name, props, secretOpts(opts, NETWORK_SECRET_OUTPUTS), MODULE, 'Network');
    this.membership = membership;
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type NetworkOutputsDeclared = ExpectNone<Undeclared<Network, keyof typeof networkOutputDocs>>;
