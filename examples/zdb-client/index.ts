import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// A 0-db namespace on one node and a machine on another that uses it: the namespace's address is the zdb
// node's own address, so the machine reaches it over the grid's network (here through its public IP).
const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `zdbNode` and `clientNode` pin the nodes; otherwise the grid proxy finds a node with free HDD for the namespace and
// another with free memory and a free public IPv4 for the machine, kept on later `up`s.
const pinnedClient = cfg.getNumber('clientNode');
const zdbNode = cfg.getNumber('zdbNode') ?? new tfgrid.NodePicker('zdb-node', { hdd: '16MiB', exclude: pinnedClient === undefined ? [] : [pinnedClient] }).nodeId;
const clientNode = pinnedClient ?? new tfgrid.NodePicker('client-node', { memory: '256MiB', publicIpv4: 1, exclude: [zdbNode] }).nodeId;
const password = cfg.requireSecret('password');

const db = new tfgrid.Zdb('db', { node: zdbNode, size: '16MiB', mode: 'user', password });
const net = new tfgrid.Network('net', { networkName: 'zdb_client_net', nodes: [clientNode] });
const ip = new tfgrid.PublicIp('ip', { node: clientNode, v4: true });
const client = new tfgrid.ZMachine('client', {
  node: clientNode,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  publicIp: ip,
  entrypoint: '/bin/sleep 100000',
});

export const namespace = db.namespace;
export const ips = db.ips;
export const port = db.port;
export const endpoint = db.endpoint;
export const clientPublicIp = ip.ip;
export const clientId = client.machineId;
export const zdbNodeId = zdbNode;
export const clientNodeId = clientNode;
