import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
const size = cfg.get('size') ?? '1GiB';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one with free memory for the machine
// and free SSD for the disk, kept on later `up`s (a bigger `size` keeps it while it has the room).
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', ssd: size }).nodeId;
const net = new tfgrid.Network('net', { networkName: 'zmount_net', nodes: [node] });
const disk = new tfgrid.ZMount('data', { node, size });
const vm = new tfgrid.ZMachine('vm', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  mounts: [{ disk, mountpoint: '/data' }],
});

export const diskSize = disk.size;
export const volumeId = disk.volumeId;
export const privateIp = vm.privateIp;
export const contractId = vm.contractId;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
