import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a gateway), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', domain: true }).nodeId;
// Point the domain at the gateway node first (on the local grid: `setGridDnsHost` or the DNS records file).
const fqdn = cfg.get('fqdn') ?? 'shop.example.test';
const net = new tfgrid.Network('net', { networkName: 'fqdn_proxy_net', nodes: [node] });
const vm = new tfgrid.ZMachine('shop', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint: '/usr/sbin/httpd -f -p 8080 -h /var/www',
});
const gw = new tfgrid.FqdnProxy('gw', { node, fqdn, backends: [pulumi.interpolate`http://${vm.privateIp}:8080`], network: net });

export const domain = gw.fqdn;
export const contractId = gw.contractId;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
