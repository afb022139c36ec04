import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `node` pins the machine's and qsfs's node, `zdbNode` the zdbs' node; otherwise the grid proxy finds a node with free
// memory and SSD (the qsfs cache) and another with free HDD for the 8 namespaces, kept on later `up`s.
const pinnedZdbNode = cfg.getNumber('zdbNode');
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', ssd: '256MiB', exclude: pinnedZdbNode === undefined ? [] : [pinnedZdbNode] }).nodeId;
const zdbNode = pinnedZdbNode ?? new tfgrid.NodePicker('zdb-node', { hdd: '8GiB', exclude: [node] }).nodeId;
const data = [1, 2, 3, 4].map((i) => new tfgrid.Zdb(`data${i}`, { node: zdbNode, size: '1GiB', mode: 'seq' }));
const meta = [1, 2, 3, 4].map((i) => new tfgrid.Zdb(`meta${i}`, { node: zdbNode, size: '1GiB', mode: 'user' }));
const qsfs = new tfgrid.Qsfs('qsfs', {
  node,
  cache: '256MiB',
  minimalShards: 2,
  expectedShards: 4,
  metadata: { prefix: 'qsfs', zdbs: meta },
  groups: [data],
});
const net = new tfgrid.Network('net', { networkName: 'qsfs_net', nodes: [node] });
const vm = new tfgrid.ZMachine('vm', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  mounts: [{ disk: qsfs, mountpoint: '/qsfs' }],
});

export const metricsEndpoint = qsfs.metricsEndpoint;
export const privateIp = vm.privateIp;
export const nodeId = node;
export const zdbNodeId = zdbNode;
