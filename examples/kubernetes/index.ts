import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub (`tfgrid local up`) serves the k3s stand-in beside its base flist: hub.grid.tf's k3s flist,
// the SDK's default, cannot be fetched there. Against a real network, leave `k3sFlist` unset.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
const k3sFlist = cfg.get('k3sFlist') ?? `${new URL(flist).origin}/tf/k3s-standin.flist`;
const workerCount = cfg.getNumber('workers') ?? 1;
// `pulumi config set nodes '[1,2]'` pins the nodes (the master on the first); otherwise the grid proxy finds two
// distinct nodes with room for a machine and its disk, kept on later `up`s. Workers go to the second node, then the
// first, and so on: the second worker joins a node the network already spans.
const withPublicIp = cfg.getBoolean('publicIp') ?? false;
const nodes = cfg.getObject<number[]>('nodes');
const picked = nodes ? undefined : new tfgrid.NodePicker('nodes', { memory: '256MiB', ssd: '1GiB', publicIpv4: withPublicIp ? 1 : 0, count: 2 }).nodeIds;
const nodeAt = (i: number): pulumi.Input<number> => (nodes ? nodes[i % nodes.length] : (picked as pulumi.Output<number[]>).apply((ids) => ids[i % ids.length]));

const k8s = new tfgrid.Kubernetes('k8s', {
  token: cfg.getSecret('token') ?? pulumi.secret('localk3s42'),
  sshKey: cfg.get('sshKey'),
  flist: k3sFlist,
  master: { name: 'master', node: nodeAt(0), cpu: 1, memory: '256MiB', diskSize: '1GiB', publicIp: withPublicIp },
  workers: Array.from({ length: workerCount }, (_, i) => ({ name: `worker${i + 1}`, node: nodeAt(i + 1), cpu: 1, memory: '256MiB', diskSize: '1GiB' })),
});

export const masterIp = k8s.masterIp;
export const masterPublicIp = k8s.masterPublicIp;
export const workerIps = k8s.workerIps;
export const apiUrl = pulumi.interpolate`https://${k8s.masterIp}:6443`;
/** Cluster node name → where its machine runs (node id, machine id on the node). */
export const machines = pulumi
  .all([k8s.master, ...k8s.workers].map((n) => pulumi.all([n.machine.name, n.machine.node, n.machine.machineId])))
  .apply((ms) => Object.fromEntries(ms.map(([name, node, id]) => [name, { node, id }])));
/** Every node contract the cluster holds: its machines' deployments and its network's. */
export const contractIds = pulumi
  .all([pulumi.all([k8s.master, ...k8s.workers].map((n) => n.machine.contractId)), k8s.network.contractIds])
  .apply(([machines, net]) => [...new Set([...machines, ...Object.values(net)])].sort((a, b) => a - b));
