import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a free public IPv4 in its farm), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', publicIpv4: 1 }).nodeId;
const net = new tfgrid.Network('net', { networkName: 'public_ip_net', nodes: [node] });
// The IPv4 is reserved on the node contract when the deployment is created (TFChain cannot add it later).
const ip = new tfgrid.PublicIp('ip', { node, v4: true });
const vm = new tfgrid.ZMachine('web', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  publicIp: ip,
  entrypoint: '/usr/sbin/httpd -f -p 80 -h /var/www',
});

export const publicIp = ip.ip;
export const gateway = ip.gateway;
export const privateIp = vm.privateIp;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
