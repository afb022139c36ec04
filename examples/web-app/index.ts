import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory and SSD, a free public IPv4, a gateway domain), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', ssd: '1GiB', publicIpv4: 1, domain: true }).nodeId;
// The default base flist runs the entrypoint below in a container. `pulumi config set machineFlist <url>` with a VM
// flist boots a VM instead (VM flists bring their own init: the local hub's tf/vm serves its own page, not this one).
const machineFlist = cfg.get('machineFlist') ?? flist;

const net = new tfgrid.Network('net', { networkName: 'web_app_net', nodes: [node] });
const disk = new tfgrid.ZMount('data', { node, size: '1GiB' });
const ip = new tfgrid.PublicIp('ip', { node, v4: true });
const web = new tfgrid.ZMachine('web', {
  node,
  network: net,
  flist: machineFlist,
  cpu: 1,
  memory: '256MiB',
  mounts: [{ disk, mountpoint: '/var/www' }],
  publicIp: ip,
  entrypoint: "/bin/sh -c 'echo hello from pulumi-tfgrid > /var/www/index.html; exec /usr/sbin/httpd -f -p 80 -h /var/www'",
});
const gw = new tfgrid.NameProxy('gw', {
  node,
  subdomain: cfg.get('subdomain') ?? 'web',
  backends: [pulumi.interpolate`http://${web.privateIp}:80`],
  network: net,
});

export const privateIp = web.privateIp;
export const publicIp = ip.ip;
export const url = pulumi.interpolate`http://${gw.fqdn}`;
export const contractId = web.contractId;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
