/**
 * Writes test/fixtures/k8s/grid-client-k8s.json: for a few clusters, the workloads ThreeFold's official
 * TypeScript client deploys for the master and each worker, so sdk/kubernetes.ts is checked against an
 * implementation that is not ours (sdk/kubernetes.test.ts compares our ZMachine's wire data with them).
 *
 * What comes from grid_client itself: `KubernetesHL.add_master` / `add_worker` (the flist, entrypoint, env, disk
 * name, size and mount point, public IP flags they pass on), `calculateRootFileSystem` (the rootfs default) and
 * the primitives that make the workloads (`DiskPrimitive`, `PublicIPPrimitive`, `VMPrimitive`). The step between,
 * `VMHL.create`, asks the grid proxy and the chain about the node (resources, farm IPs, network) and cannot run
 * offline: it is replaced by a stand-in that calls the same primitives in the same way (the IP workload named
 * `<machine>_pubip`, as VMHL.create names it) and returns what it built.
 *
 * grid_client is not a dependency of this repository; install it apart once (as for gen-test-vectors.ts):
 *
 *   npm install --prefix build/vector-gen --no-audit --no-fund @threefold/grid_client@2.9.2
 *   node -r @swc-node/register scripts/gen-k8s-vectors.ts [--grid-client build/vector-gen] [--check]
 * @module
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import type { VectorCluster, VectorNode } from '../test/fixtures/k8s/vector-types';

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'test', 'fixtures', 'k8s', 'grid-client-k8s.json');
const argAt = process.argv.indexOf('--grid-client');
const prefix = path.resolve(root, argAt > 0 ? process.argv[argAt + 1] : path.join('build', 'vector-gen'));
const gridClientDir = path.join(prefix, 'node_modules', '@threefold', 'grid_client');

const node = (n: Partial<VectorNode> & Pick<VectorNode, 'name' | 'node_id' | 'ip'>): VectorNode => ({
  cpu: 2,
  memory: 4096,
  disk_size: 20,
  rootfs_size: 0,
  public_ip: false,
  public_ip6: false,
  planetary: false,
  mycelium: false,
  myceliumSeed: '',
  ...n,
});

const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbx4ugTcGdIlX8y8yE0ZPxwDO2sfN0HmYHOBn8XfbhP user@example';

export const CLUSTERS: VectorCluster[] = [
  { name: 'master_only', secret: 'k3stoken42', ssh_key: SSH, network: 'k8s_net', master: node({ name: 'master', node_id: 1, ip: '10.20.2.2' }), workers: [] },
  {
    name: 'two_workers_public_ips',
    secret: 'abc123XYZ',
    ssh_key: SSH,
    network: 'cluster_net',
    master: node({ name: 'mr', node_id: 1, ip: '10.20.2.2', public_ip: true, planetary: true, rootfs_size: 5 }),
    workers: [
      node({ name: 'w1', node_id: 2, ip: '10.20.3.2', cpu: 1, memory: 2048, disk_size: 15, public_ip6: true }),
      node({ name: 'w2', node_id: 1, ip: '10.20.2.3', cpu: 1, memory: 1024, disk_size: 10, mycelium: true, myceliumSeed: 'a1b2c3d4e5f6' }),
    ],
  },
];

type Ctor<T> = new () => T;
interface Primitives {
  disk: { create(size: number, name: string, metadata: string, description: string): unknown; createMount(name: string, mountpoint: string): unknown };
  ip: { create(name: string, metadata: string, description: string, version: number, v4: boolean, v6: boolean): unknown };
  vm: { create(...a: unknown[]): unknown };
}
interface K8sHL {
  add_master(...a: unknown[]): Promise<unknown>;
  add_worker(...a: unknown[]): Promise<unknown>;
}

function loadGridClient() {
  if (!fs.existsSync(path.join(gridClientDir, 'package.json'))) {
    process.stderr.write(
      `gen-k8s-vectors: no @threefold/grid_client under ${prefix}\n  fix: npm install --prefix ${path.relative(root, prefix) || '.'} --no-audit --no-fund @threefold/grid_client@2.9.2\n`,
    );
    process.exit(2);
  }
  const req = createRequire(path.join(gridClientDir, 'package.json'));
  req('reflect-metadata');
  const version = (req('./package.json') as { version: string }).version;
  const { KubernetesHL } = req('./dist/node/high_level/kubernetes') as { KubernetesHL: new (c: unknown) => K8sHL };
  const { VMHL } = req('./dist/node/high_level/machine') as { VMHL: { prototype: { create: unknown } } };
  const prims = req('./dist/node/primitives/index') as { DiskPrimitive: Ctor<Primitives['disk']>; PublicIPPrimitive: Ctor<Primitives['ip']>; VMPrimitive: Ctor<Primitives['vm']> };
  const { calculateRootFileSystem } = req('./dist/node/helpers/root_fs') as { calculateRootFileSystem(o: { CPUCores: number; RAMInMegaBytes: number }): number };
  return { version, KubernetesHL, VMHL, prims, calculateRootFileSystem };
}

async function main(): Promise<void> {
  const gc = loadGridClient();
  let built: unknown[] = [];
  // The stand-in for VMHL.create (see the module comment): argument order as in grid_client 2.9.2's VMHL.create.
  gc.VMHL.prototype.create = async function create(...a: unknown[]) {
    const [name, , flist, cpu, memory, rootfsGiven, disks, publicIp, publicIp6, planetary, mycelium, myceliumSeed, network, , entrypoint, env, , metadata, description, , , , , ip, corex, , , gpus] =
      a as [
        string,
        number,
        string,
        number,
        number,
        number,
        { name: string; size: number; mountpoint: string }[],
        boolean,
        boolean,
        boolean,
        boolean,
        string,
        { name: string },
        unknown,
        string,
        Record<string, string>,
        unknown,
        string,
        string,
        unknown,
        unknown,
        unknown,
        unknown,
        string,
        boolean,
        unknown,
        unknown,
        string[],
      ];
    const rootfs = rootfsGiven || gc.calculateRootFileSystem({ CPUCores: cpu, RAMInMegaBytes: memory });
    const disk = new gc.prims.DiskPrimitive();
    const workloads: unknown[] = disks.map((d) => disk.create(d.size, d.name, '', description));
    const mounts = disks.map((d) => disk.createMount(d.name, d.mountpoint));
    const ipName = publicIp || publicIp6 ? `${name}_pubip` : '';
    if (ipName) workloads.push(new gc.prims.PublicIPPrimitive().create(ipName, '', description, 0, publicIp, publicIp6));
    workloads.push(
      new gc.prims.VMPrimitive().create(name, flist, cpu, memory, rootfs, mounts, network.name, ip, planetary, mycelium, myceliumSeed, ipName, entrypoint, env, metadata, description, 0, corex, gpus),
    );
    built = workloads;
    return [[], ''];
  };
  const k8s = new gc.KubernetesHL({ twinId: 1 });
  const run = async (n: VectorNode, c: VectorCluster, masterIp?: string) => {
    const net = { name: c.network };
    const common = [
      n.cpu,
      n.memory,
      n.rootfs_size,
      n.disk_size,
      n.public_ip,
      n.public_ip6,
      n.planetary,
      n.mycelium,
      n.myceliumSeed,
      net,
      [],
      c.ssh_key,
      '',
      '',
      '',
      [],
      '',
      false,
      0,
      n.ip,
      false,
      undefined,
      undefined,
      [],
    ];
    if (masterIp === undefined) await k8s.add_master(n.name, n.node_id, c.secret, ...common);
    else await k8s.add_worker(n.name, n.node_id, c.secret, masterIp, ...common);
    return { input: n, workloads: JSON.parse(JSON.stringify(built)) as unknown };
  };
  const clusters = [];
  for (const c of CLUSTERS) {
    const master = await run(c.master, c);
    const workers = [];
    for (const w of c.workers) workers.push(await run(w, c, c.master.ip));
    clusters.push({ ...c, expected: { master: master.workloads, workers: workers.map((w) => w.workloads) } });
  }
  const out = {
    _about:
      `Generated by scripts/gen-k8s-vectors.ts (do not edit): clusters defined by pulumi-tfgrid; workloads as @threefold/grid_client ${gc.version} ` +
      'builds them (KubernetesHL.add_master/add_worker, calculateRootFileSystem, Disk/PublicIP/VM primitives; VMHL.create replaced by an offline stand-in). ' +
      'Sizes: memory MB, disk and rootfs GB (0: grid_client computes it).',
    clusters,
  };
  const text = `${JSON.stringify(out, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${path.relative(root, target)} differs from what grid_client ${gc.version} builds\n`);
      process.exit(1);
    }
    process.stdout.write(`${path.relative(root, target)} matches grid_client ${gc.version}\n`);
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(root, target)} (${clusters.length} clusters, grid_client ${gc.version})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gen-k8s-vectors: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
