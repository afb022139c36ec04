import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// A quantum-safe file system whose secrets you keep (config), so that its data can be recovered from the
// zdb backends alone: any 2 of the 4 data shards rebuild a block, any metadata backend holds the index.
const cfg = new pulumi.Config();
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `node` pins the machine's and qsfs's node, `zdbNode` the zdbs' node; otherwise the grid proxy finds a node with free
// memory and SSD (the qsfs cache) and another with free HDD for the 8 namespaces, kept on later `up`s.
const pinnedZdbNode = cfg.getNumber('zdbNode');
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', ssd: '64MiB', exclude: pinnedZdbNode === undefined ? [] : [pinnedZdbNode] }).nodeId;
const zdbNode = pinnedZdbNode ?? new tfgrid.NodePicker('zdb-node', { hdd: '1280MiB', exclude: [node] }).nodeId;
const zdbPassword = cfg.requireSecret('zdbPassword');
const dataKey = cfg.requireSecret('dataKey');
const metaKey = cfg.requireSecret('metaKey');

const data = [1, 2, 3, 4].map((i) => new tfgrid.Zdb(`data${i}`, { node: zdbNode, size: '256MiB', mode: 'seq', password: zdbPassword }));
const meta = [1, 2, 3, 4].map((i) => new tfgrid.Zdb(`meta${i}`, { node: zdbNode, size: '64MiB', mode: 'user', password: zdbPassword }));
const qsfs = new tfgrid.Qsfs('qsfs', {
  node,
  cache: '64MiB',
  minimalShards: 2,
  expectedShards: 4,
  encryptionKey: dataKey,
  metadata: { prefix: 'shards', encryptionKey: metaKey, zdbs: meta },
  groups: [data],
});
const net = new tfgrid.Network('net', { networkName: 'qsfs_shards_net', nodes: [node] });
const vm = new tfgrid.ZMachine('vm', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  mounts: [{ disk: qsfs, mountpoint: '/qsfs' }],
});

export const path = qsfs.path;
export const metricsEndpoint = qsfs.metricsEndpoint;
export const dataBackends = data.map((z) => pulumi.all([z.endpoint, z.namespace]).apply(([address, namespace]) => ({ address, namespace })));
export const metaBackends = meta.map((z) => pulumi.all([z.endpoint, z.namespace]).apply(([address, namespace]) => ({ address, namespace })));
export const privateIp = vm.privateIp;
export const machineId = vm.machineId;
export const nodeId = node;
export const zdbNodeId = zdbNode;
