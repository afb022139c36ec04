import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// `pulumi config set nodes '[1,2]'` pins the two nodes; otherwise the grid proxy finds two distinct nodes that are up,
// kept on later `up`s.
const nodes = cfg.getObject<number[]>('nodes') ?? new tfgrid.NodePicker('nodes', { count: 2 }).nodeIds;

// One network workload per node, a /24 each inside 10.20.0.0/16, and a WireGuard peer for this laptop.
const net = new tfgrid.Network('net', { networkName: 'network_net', nodes, ipRange: '10.20.0.0/16', addWgAccess: true });

export const nodeSubnets = net.nodeSubnets;
export const contractIds = net.contractIds;
export const accessSubnet = net.accessSubnet;
/** wg-quick file for your machine (secret: `pulumi stack output accessConfig --show-secrets > wg.conf`). */
export const accessConfig = net.accessConfig;
