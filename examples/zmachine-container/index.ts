import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory for the machine), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB' }).nodeId;
const net = new tfgrid.Network('net', { networkName: 'zmachine_container_net', nodes: [node] });
const vm = new tfgrid.ZMachine('app', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  env: { GREETING: 'hello' },
  entrypoint: '/usr/sbin/httpd -f -p 8080 -h /var/www',
});

export const privateIp = vm.privateIp;
export const consoleUrl = vm.consoleUrl;
export const machineId = vm.machineId;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
