import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `node` pins the server's node, `clientNode` the client's (e.g. `pulumi config set node 3` for the light node of
// `tfgrid local up --light-nodes 1`); otherwise the grid proxy finds two distinct nodes with free memory, kept on
// later `up`s. Light or full, the program is the same.
const pinnedClient = cfg.getNumber('clientNode');
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('server-node', { memory: '256MiB', exclude: pinnedClient === undefined ? [] : [pinnedClient] }).nodeId;
const clientNode = pinnedClient ?? new tfgrid.NodePicker('client-node', { memory: '256MiB', exclude: [node] }).nodeId;

// Nothing here says "light": the provider asks each node for its features and sends network-light and
// zmachine-light to a light node, network and zmachine to a full one.
const net = new tfgrid.Network('net', { networkName: 'light_node_net', nodes: [node, clientNode], ipRange: '10.40.0.0/16', mycelium: true });

// Serves the flist's /var/www on :8080, plus /who.txt naming the machine (its hostname is the workload name).
const server = new tfgrid.ZMachine('server', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  mycelium: true,
  entrypoint: '/bin/sh -c "echo served by $(hostname) > /var/www/who.txt; exec /usr/sbin/httpd -f -p 8080 -h /var/www"',
});
// A machine on the other node, to dial the server on its private IP (WireGuard between the nodes) and on its
// mycelium IP.
const client = new tfgrid.ZMachine('client', {
  node: clientNode,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  mycelium: true,
  entrypoint: '/bin/sh -c "exec sleep 100000"',
});

/** Node id → `network` or `network-light`: what the provider sent to each node. */
export const nodeTypes = net.nodeTypes;
export const contractIds = net.contractIds;
/** `zmachine-light` on a light node. */
export const serverType = server.workloadType;
export const clientType = client.workloadType;
export const serverPrivateIp = server.privateIp;
export const serverMyceliumIp = server.myceliumIp;
/** Workload ids on the nodes (`<twin>-<contract>-<name>`). */
export const serverId = server.machineId;
export const clientId = client.machineId;
export const serverContractId = server.contractId;
export const serverNode = node;
export const clientNodeId = clientNode;
