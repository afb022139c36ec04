import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// `pulumi config set nodes '[1,2,3]'` pins the nodes; otherwise the grid proxy finds `count` (default 3) distinct nodes
// with free memory for a machine each, kept on later `up`s.
const pinned = cfg.getObject<number[]>('nodes');
const count = pinned?.length ?? cfg.getNumber('count') ?? 3;
const picked = pinned ? undefined : new tfgrid.NodePicker('nodes', { memory: '256MiB', count }).nodeIds;
const nodes: pulumi.Input<number>[] = pinned ?? Array.from({ length: count }, (_, i) => (picked as pulumi.Output<number[]>).apply((ids) => ids[i]));
// `pulumi config set mycelium true`: the network gets a mycelium key and every machine a mycelium (400::/7) IP.
const mycelium = cfg.getBoolean('mycelium') ?? false;
// `pulumi config set release 2`: a new env replaces every machine (ZOS never updates a machine in place); each
// keeps its private IP and its mycelium IP (the seed is derived from the network's key and the machine's name).
const release = cfg.get('release') ?? '1';

const net = new tfgrid.Network('net', {
  networkName: 'private_network_net',
  nodes,
  ipRange: '10.30.0.0/16',
  mycelium,
  // The access peer (your machine) dials this node's public IP; the other nodes are reached through it.
  addWgAccess: true,
  accessNode: nodes[0],
});
// Each machine serves the flist's /var/www on :8080, plus /who.txt naming the machine (its hostname is the workload
// name) and /release.txt with its RELEASE env.
const machines = nodes.map(
  (n, i) =>
    new tfgrid.ZMachine(`m${i + 1}`, {
      node: n,
      network: net,
      flist,
      cpu: 1,
      memory: '256MiB',
      mycelium,
      env: { RELEASE: release },
      entrypoint: '/bin/sh -c "echo served by $(hostname) > /var/www/who.txt; echo $RELEASE > /var/www/release.txt; exec /usr/sbin/httpd -f -p 8080 -h /var/www"',
    }),
);

/** The nodes it spans (picked, or the `nodes` config); machine `m<i>` runs on the i-th. */
export const nodeIds = pulumi.all(nodes);
export const nodeSubnets = net.nodeSubnets;
/** The node your machine dials: `accessNode`, whose public endpoint is in `accessConfig`. */
export const accessNodeId = net.accessNodeId;
export const privateIps = pulumi.all(machines.map((m) => m.privateIp));
/** Workload ids on the nodes (`<twin>-<contract>-<name>`). */
export const machineIds = pulumi.all(machines.map((m) => m.machineId));
/** With `mycelium`: each machine's 400::/7 address, reachable from the machines on the other nodes. */
export const myceliumIps = pulumi.all(machines.map((m) => m.myceliumIp));
/** Secret wg-quick file: `pulumi stack output accessConfig --show-secrets > wg.conf && wg-quick up ./wg.conf`. */
export const accessConfig = net.accessConfig;
