import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from '../../../../sdk';

// A public IPv4 alone, on the node the test names (a light node). The provider has no light-node rule for a
// PublicIp, so the workload reaches the node and its refusal is what the run reports.
const node = new pulumi.Config().requireNumber('node');
const ip = new tfgrid.PublicIp('ip', { node, v4: true });

export const publicIp = ip.ip;
