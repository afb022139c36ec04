import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a gateway domain), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', domain: true }).nodeId;
const net = new tfgrid.Network('net', { networkName: 'name_proxy_net', nodes: [node] });
const vm = new tfgrid.ZMachine('app', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint: '/usr/sbin/httpd -f -p 8080 -h /var/www',
});
// The gateway node reaches the machine over the private network; the name is a TFChain name contract.
const gw = new tfgrid.NameProxy('gw', {
  node,
  subdomain: cfg.get('subdomain') ?? 'app',
  backends: [pulumi.interpolate`http://${vm.privateIp}:8080`],
  network: net,
});

export const fqdn = gw.fqdn;
export const nameContractId = gw.nameContractId;
// What the gateway node says of the proxy (after `pulumi refresh`: `error` and the reason when its name contract is gone).
export const gatewayState = gw.state;
export const gatewayMessage = gw.message;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
