/**
 * The Kubernetes component's workloads against ThreeFold's grid_client (test/fixtures/k8s/grid-client-k8s.json,
 * written by scripts/gen-k8s-vectors.ts from grid_client's own KubernetesHL and primitives): for the same cluster,
 * our machines' wire data (through the provider's zmachine toWire), disk and IP workloads are what grid_client
 * deploys. Under `pulumi.runtime.setMocks`: the provider never runs; each machine's private IP is its pinned `ip`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';

/** Mocks hand secret inputs over as the engine's secret wrapper: the values inside. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const unsecret = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(unsecret);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (SECRET_SIG in o) return unsecret(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unsecret(x)]));
};
const registered = new Map<string, { type: string; inputs: Record<string, unknown> }>();
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.set(args.name, { type: args.type, inputs: unsecret(args.inputs) as Record<string, unknown> });
      const extra: Record<string, unknown> = {};
      if (args.type.endsWith(':ZMachine')) extra.privateIp = args.inputs.ip;
      if (args.type.endsWith(':PublicIp')) extra.ip = args.inputs.v4 ? '198.18.1.10/16' : '';
      return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
    },
    call: (args) => args.inputs,
  },
  'proj',
  'dev',
  false,
);

import { parseSize } from '../provider/inputs';
import { zmachineKind } from '../provider/resources/zmachine';
import * as tfgrid from './index';
import { K3S_FLIST, type KubernetesNodeArgs } from './kubernetes';
import type { VectorClusterWithWorkloads as Cluster, VectorNode, VectorWorkload as Workload } from '../test/fixtures/k8s/vector-types';

const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'k8s', 'grid-client-k8s.json');
const clusters = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { clusters: Cluster[] }).clusters;
const MiB = 1024 ** 2;

const out = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((r) => o.apply(r));
/** JSON as grid_client writes it: numbers for bigints, no `__type` discriminator. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === '__type' ? undefined : typeof x === 'bigint' ? Number(x) : x)));

const nodeArgs = (n: VectorNode): KubernetesNodeArgs => ({
  name: n.name,
  node: n.node_id,
  cpu: n.cpu,
  memory: n.memory * MiB,
  diskSize: `${n.disk_size}GiB`,
  rootfsSize: n.rootfs_size > 0 ? `${n.rootfs_size}GiB` : undefined,
  publicIp: n.public_ip,
  publicIp6: n.public_ip6,
  planetary: n.planetary,
  mycelium: n.mycelium,
  myceliumSeed: n.mycelium ? n.myceliumSeed : undefined,
  ip: n.ip,
});

/** Our workloads for one cluster node, in grid_client's order (disk, public IP, machine). */
function ourWorkloads(cluster: string, n: VectorNode): Workload[] {
  const get = (suffix: string) => registered.get(`${cluster}-${n.name}${suffix}`);
  const disk = get('-disk')!;
  const ws: Workload[] = [{ name: String(disk.inputs.name), type: 'zmount', data: { size: parseSize(disk.inputs.size, 'size') } }];
  const ip = get('-ip');
  if (ip) ws.push({ name: String(ip.inputs.name), type: 'ip', data: { v4: ip.inputs.v4, v6: ip.inputs.v6 } });
  const vm = get('')!;
  const inputs = zmachineKind.inputs.parse(vm.inputs);
  ws.push({ name: inputs.name, type: 'zmachine', data: plain(zmachineKind.toWire(inputs, { privateIp: n.ip, workloadType: 'zmachine', myceliumSeed: n.myceliumSeed })) as Record<string, unknown> });
  return ws;
}

const simplified = (ws: Workload[]) => ws.map((w) => ({ name: w.name, type: w.type, data: plain(w.data) }));

describe('Kubernetes matches what grid_client deploys', () => {
  it.each(clusters.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const nodes = [...new Set([c.master, ...c.workers].map((n) => n.node_id))];
    const network = new tfgrid.Network(`${c.name}-net`, { networkName: c.network, nodes, mycelium: true });
    const k8s = new tfgrid.Kubernetes(c.name, { token: c.secret, sshKey: c.ssh_key, network, master: nodeArgs(c.master), workers: c.workers.map(nodeArgs) });
    await out(k8s.workerIps);
    await out(k8s.master.machine.name);
    expect(simplified(ourWorkloads(c.name, c.master))).toEqual(simplified(c.expected.master));
    c.workers.forEach((w, i) => expect(simplified(ourWorkloads(c.name, w))).toEqual(simplified(c.expected.workers[i])));
  });

  it('defaults to the official k3s flist and a network of its own over the cluster nodes', async () => {
    const k8s = new tfgrid.Kubernetes('solo', {
      token: 'tok123',
      master: { name: 'm', node: 3, cpu: 1, memory: '1GiB', diskSize: '5GiB' },
      workers: [
        { name: 'a', node: 1, cpu: 1, memory: '1GiB', diskSize: '5GiB' },
        { name: 'b', node: 3, cpu: 1, memory: '1GiB', diskSize: '5GiB' },
      ],
    });
    expect(await out(k8s.network.nodes)).toEqual([3, 1]);
    await out(k8s.workerIps);
    expect(registered.get('solo-net')?.inputs.name).toBe('solo_net');
    expect(registered.get('solo-m')?.inputs.flist).toBe(K3S_FLIST);
    // Each machine its own deployment group, as grid_client gives each its own deployment.
    expect(new Set(['solo-m', 'solo-a', 'solo-b'].map((r) => registered.get(r)?.inputs.deployment)).size).toBe(3);
    expect(registered.get('solo-a-disk')?.inputs.deployment).toBe(registered.get('solo-a')?.inputs.deployment);
  });

  it('refuses names ZOS cannot take, and a name given twice', () => {
    const m = { node: 1, cpu: 1, memory: '1GiB', diskSize: '5GiB' };
    expect(() => new tfgrid.Kubernetes('bad', { token: 't', master: { ...m, name: 'my-master' } })).toThrow('letters, digits and _');
    expect(() => new tfgrid.Kubernetes('dup', { token: 't', master: { ...m, name: 'n1' }, workers: [{ ...m, name: 'n1' }] })).toThrow('"n1" is given twice');
  });
});
