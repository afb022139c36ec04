import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory for the machine), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB' }).nodeId;
const output = cfg.get('output') ?? 'redis://10.20.1.1:6379/logs';
const net = new tfgrid.Network('net', { networkName: 'zlogs_net', nodes: [node] });
const vm = new tfgrid.ZMachine('chatty', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint: "/bin/sh -c 'while true; do echo tick; sleep 1; done'",
});
const logs = new tfgrid.ZLogs('logs', { zmachine: vm, output });

export const logsState = logs.state;
export const privateIp = vm.privateIp;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
