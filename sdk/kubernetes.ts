/**
 * `Kubernetes`: a k3s cluster (a master and workers) built from this package's own resources, as the peers'
 * `grid_kubernetes` (terraform-provider-grid) and `Kubernetes` (pulumi-threefold) offer one. A component: each
 * cluster node is a ZMount (its data disk), an optional PublicIp and a ZMachine, children of the cluster and shown
 * by the preview; a worker added or removed creates or deletes only its own three, the master stays as it is.
 *
 * The machines are what ThreeFold's grid_client (`KubernetesHL.add_master` / `add_worker`) deploys for the same
 * inputs: workload names `<node>`, `<node>_disk`, `<node>_pubip`; the k3s flist; entrypoint `/sbin/zinit init`;
 * the env the flist reads (K3S_TOKEN, K3S_DATA_DIR = the disk's mount point, K3S_FLANNEL_IFACE, K3S_NODE_NAME,
 * K3S_URL: "" on the master, `https://<master private IP>:6443` on workers, SSH_KEY). Checked against grid_client
 * itself by sdk/kubernetes.test.ts (test/fixtures/k8s/grid-client-k8s.json, scripts/gen-k8s-vectors.ts).
 * Each machine has its own deployment group, as grid_client gives each machine its own deployment: a public IPv4
 * is reserved when a node contract is created, so a worker with one could not join an existing deployment.
 * @module
 */
import * as pulumi from '@pulumi/pulumi';
import { MAX_NAME_LENGTH } from '../protocol/zos/validate';
import { parseSize, toWorkloadName } from '../provider/inputs';
import { k8sNodeNameSchema } from '../provider/resources/kubernetes';
import { Network } from './network';
import { defaultDeployment, type TimeoutArg } from './placement';
import { PublicIp } from './public-ip';
import { ZMachine } from './zmachine';
import { ZMount } from './zmount';
import type { AccountArgs } from './account';

/** The k3s flist ThreeFold's clients deploy (grid_client 2.9 `KubernetesHL`, tfgrid-sdk-go `K8sFlist`). */
export const K3S_FLIST = 'https://hub.grid.tf/tf-official-apps/threefolddev-k3s-v1.31.0.flist';
/** The flist's init: zinit starts k3s server or agent from the env. */
export const K3S_ENTRYPOINT = '/sbin/zinit init';
/** Where the data disk is mounted and k3s keeps its state (grid_client's `K3S_DATA_DIR`). */
export const K3S_DATA_DIR = '/mnt/data';
/** The k3s API port workers dial on the master. */
export const K3S_API_PORT = 6443;

export interface KubernetesNodeArgs {
  /** ZOS workload name of the machine, also the k3s node name (letters, digits, `_`; ≤ 30 so `<name>_pubip` fits). */
  name: string;
  node: pulumi.Input<number>;
  cpu: pulumi.Input<number>;
  /** Memory in bytes or `"2GiB"`. */
  memory: pulumi.Input<number | string>;
  /** The data disk (`<name>_disk`, mounted at /mnt/data): bytes or `"10GiB"`. */
  diskSize: pulumi.Input<number | string>;
  /** Root filesystem size; default as grid_client: 2GiB when cpu × memory reaches 8GiB, else 500MiB. */
  rootfsSize?: pulumi.Input<number | string>;
  /** A public IPv4 (`<name>_pubip`, reserved from the farm). */
  publicIp?: boolean;
  /** A public IPv6 (same `<name>_pubip` workload). */
  publicIp6?: boolean;
  planetary?: pulumi.Input<boolean>;
  /** A mycelium IP; the network needs mycelium (a created one has it when any cluster node asks). */
  mycelium?: boolean;
  myceliumSeed?: pulumi.Input<string>;
  /** Pin the private IP. */
  ip?: pulumi.Input<string>;
  /** Deployment group of this node's workloads; default `<project>.<stack>.<cluster>.<name>`, one per machine. */
  deployment?: pulumi.Input<string>;
}

export interface KubernetesArgs {
  /** The cluster token (k3s `K3S_TOKEN`); kept secret. The peers ask 6–15 letters and digits. */
  token: pulumi.Input<string>;
  /** Public SSH key(s) for the machines (`SSH_KEY`). */
  sshKey?: pulumi.Input<string>;
  master: KubernetesNodeArgs;
  /** Workers: adding or removing one changes only that worker's disk, IP and machine. */
  workers?: KubernetesNodeArgs[];
  /** The network the machines join; default: a new Network over the cluster's nodes (`<cluster>_net`). */
  network?: Network;
  /** Flist of every machine; default the official k3s flist ({@link K3S_FLIST}). */
  flist?: pulumi.Input<string>;
  timeout?: pulumi.Input<TimeoutArg>;
  /** The twin and network of every resource of the cluster (the default network too), instead of the stack config. */
  account?: pulumi.Input<AccountArgs>;
}

/** Refuses names ZOS or k3s would refuse, before anything is registered (the names are resource names too). */
function checkNames(args: KubernetesArgs): void {
  const names = [args.master.name, ...(args.workers ?? []).map((w) => w.name)];
  for (const n of names) {
    const r = k8sNodeNameSchema.safeParse(n);
    if (!r.success) throw new Error(`Kubernetes: node "${n}": ${r.error.issues[0].message}`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`Kubernetes: the master and workers need distinct names; "${dup}" is given twice`);
}

const MiB = 1024 ** 2;

/** grid_client's rootfs default (`calculateRootFileSystem`): 2GiB when cpu × memory (MB) / 8192 is at least 1, else 500MiB. */
export function k3sRootfsDefault(cpu: number, memoryBytes: number): number {
  return Math.floor((cpu * (memoryBytes / MiB)) / 8192) === 0 ? 500 * MiB : 2048 * MiB;
}

/** The env grid_client's KubernetesHL gives a cluster machine (`masterIp` undefined for the master). */
export function k3sEnv(args: Pick<KubernetesArgs, 'token' | 'sshKey'>, nodeName: string, masterIp?: pulumi.Input<string>): pulumi.Output<Record<string, string>> {
  return pulumi.all([args.token, args.sshKey, masterIp]).apply(
    ([token, sshKey, ip]): Record<string, string> => ({
      ...(sshKey === undefined ? {} : { SSH_KEY: sshKey }),
      K3S_TOKEN: token,
      K3S_DATA_DIR: K3S_DATA_DIR,
      K3S_FLANNEL_IFACE: 'eth0',
      K3S_NODE_NAME: nodeName,
      K3S_URL: ip === undefined ? '' : `https://${ip}:${K3S_API_PORT}`,
    }),
  );
}

/** One cluster node's resources. */
export interface KubernetesNode {
  disk: ZMount;
  publicIp?: PublicIp;
  machine: ZMachine;
}

/**
 * A k3s cluster: a master and workers on one network, each with a data disk and optionally public IPs.
 * @example
 * const k8s = new tfgrid.Kubernetes("k8s", {
 *   token: cfg.requireSecret("k3sToken"), sshKey,
 *   master: { name: "master", node: 1, cpu: 2, memory: "4GiB", diskSize: "20GiB", publicIp: true },
 *   workers: [{ name: "w1", node: 2, cpu: 2, memory: "4GiB", diskSize: "20GiB" }],
 * });
 * export const api = pulumi.interpolate`https://${k8s.masterIp}:6443`;
 */
export class Kubernetes extends pulumi.ComponentResource {
  readonly network: Network;
  readonly master: KubernetesNode;
  readonly workers: KubernetesNode[];
  /** The master's private IP (workers' `K3S_URL`). */
  readonly masterIp: pulumi.Output<string>;
  /** The master's public IPv4 (CIDR), `""` without `publicIp`. */
  readonly masterPublicIp: pulumi.Output<string>;
  /** Worker name → private IP. */
  readonly workerIps: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: KubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tfgrid:index:Kubernetes', name, {}, opts);
    checkNames(args);
    const workers = args.workers ?? [];
    const all = [args.master, ...workers];
    const token = pulumi.secret(args.token);
    this.network =
      args.network ??
      new Network(
        `${name}-net`,
        {
          networkName: `${toWorkloadName(name)}_net`.slice(0, MAX_NAME_LENGTH),
          // One entry per distinct node, in first-seen order, so a worker on a node already listed changes nothing.
          nodes: pulumi.all(all.map((n) => n.node)).apply((ids) => [...new Set(ids)]),
          mycelium: all.some((n) => n.mycelium === true),
          account: args.account,
        },
        { parent: this },
      );
    const place = (n: KubernetesNodeArgs, masterIp?: pulumi.Input<string>): KubernetesNode => {
      const deployment = n.deployment ?? `${defaultDeployment()}.${name}.${n.name}`.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 64);
      const common = { node: n.node, deployment, timeout: args.timeout, account: args.account };
      const child = { parent: this };
      const disk = new ZMount(`${name}-${n.name}-disk`, { ...common, workloadName: `${n.name}_disk`, size: n.diskSize }, child);
      const publicIp =
        n.publicIp || n.publicIp6 ? new PublicIp(`${name}-${n.name}-ip`, { ...common, workloadName: `${n.name}_pubip`, v4: n.publicIp === true, v6: n.publicIp6 === true }, child) : undefined;
      const machine = new ZMachine(
        `${name}-${n.name}`,
        {
          ...common,
          workloadName: n.name,
          network: this.network,
          flist: args.flist ?? K3S_FLIST,
          cpu: n.cpu,
          memory: n.memory,
          rootfsSize: n.rootfsSize ?? pulumi.all([n.cpu, n.memory]).apply(([cpu, memory]) => k3sRootfsDefault(cpu, parseSize(memory, 'memory'))),
          entrypoint: K3S_ENTRYPOINT,
          env: k3sEnv({ token, sshKey: args.sshKey }, n.name, masterIp),
          mounts: [{ disk, mountpoint: K3S_DATA_DIR }],
          publicIp,
          planetary: n.planetary,
          mycelium: n.mycelium,
          myceliumSeed: n.myceliumSeed,
          ip: n.ip,
        },
        child,
      );
      return { disk, publicIp, machine };
    };
    this.master = place(args.master);
    this.masterIp = this.master.machine.privateIp;
    this.workers = workers.map((w) => place(w, this.masterIp));
    this.masterPublicIp = this.master.publicIp ? this.master.publicIp.ip : pulumi.output('');
    this.workerIps = pulumi.all(this.workers.map((w) => w.machine.privateIp)).apply((ips) => Object.fromEntries(workers.map((w, i) => [w.name, ips[i]])));
    this.registerOutputs({ masterIp: this.masterIp, masterPublicIp: this.masterPublicIp, workerIps: this.workerIps });
  }
}
