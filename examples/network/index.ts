import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
const node = cfg.getNumber('node') ?? 1;
const node2 = cfg.getNumber('node2') ?? 2;

// One network workload per node, a /24 each inside 10.20.0.0/16, and a WireGuard peer for this laptop.
const net = new tfgrid.Network('net', { networkName: 'network_net', nodes: [node, node2], ipRange: '10.20.0.0/16', addWgAccess: true });

export const nodeSubnets = net.nodeSubnets;
export const contractIds = net.contractIds;
export const accessSubnet = net.accessSubnet;
/** wg-quick file for your machine (secret: `pulumi stack output accessConfig --show-secrets > wg.conf`). */
export const accessConfig = net.accessConfig;
