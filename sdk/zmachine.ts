/**
 * `ZMachine`: a VM or container (zos-protocol.md §1.5 zmachine, §6.3). Every change replaces it (ZOS cannot
 * update machines in place). It joins its network by the network's identity (`Network.membership`), so another
 * node added to or removed from the network leaves it untouched.
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';
import { zmachineOutputDocs } from '../provider/resources/zmachine';
import type { Network } from './network';
import { dependOn, placementInputs, type ExpectNone, type PlacementArgs, type Undeclared, type WorkloadOutputs } from './placement';
import { WorkloadResource } from './workload';
import type { PublicIp } from './public-ip';
import type { Qsfs } from './qsfs';
import type { Volume } from './volume';
import type { ZMount } from './zmount';

export interface ZMachineMount {
  /** A ZMount, Volume or Qsfs on the same node and deployment. */
  disk: ZMount | Volume | Qsfs;
  /** Absolute path inside the machine, not `/`. */
  mountpoint: pulumi.Input<string>;
}

export interface ZMachineArgs extends Omit<PlacementArgs, 'node'> {
  node: pulumi.Input<number>;
  /** Flist URL (container rootfs, or VM image / kernel flist). */
  flist: pulumi.Input<string>;
  /**
   * md5 of the flist file (32 hex). The provider fetches `<flist>.md5` from the hub at preview and before deploying
   * and refuses the machine when it differs, as terraform-provider-grid's `flist_checksum` does; ZOS never sees it.
   * @example
   * flistChecksum: "c87cf57e1067d21a3e74332a64ef9723", // curl <flist>.md5
   */
  flistChecksum?: pulumi.Input<string>;
  network: Network;
  /** Pin the private IP; allocated without collisions when omitted. */
  ip?: pulumi.Input<string>;
  cpu: pulumi.Input<number>;
  /** Memory in bytes or `"2GiB"` (≥ 250MiB). */
  memory: pulumi.Input<number | string>;
  /** Root filesystem size; 0 (default) is the ZOS minimum. */
  rootfsSize?: pulumi.Input<number | string>;
  entrypoint?: pulumi.Input<string>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  mounts?: ZMachineMount[];
  publicIp?: PublicIp;
  planetary?: pulumi.Input<boolean>;
  mycelium?: pulumi.Input<boolean>;
  /**
   * The 6-byte mycelium seed (12 hex): the last 48 bits of `myceliumIp`. When omitted it is derived from the
   * network's mycelium key on the node and the machine's node, deployment and name, so the address survives a
   * replacement (any change of the machine) either way; give one to choose the address or keep it across a move.
   * @example
   * const seed = new random.RandomBytes("seed", { length: 6 }); // @pulumi/random
   * new tfgrid.ZMachine("vm", { ..., mycelium: true, myceliumSeed: seed.hex });
   */
  myceliumSeed?: pulumi.Input<string>;
  corex?: pulumi.Input<boolean>;
  gpus?: pulumi.Input<pulumi.Input<string>[]>;
}

const ref = (r: ZMount | Volume | Qsfs | PublicIp) => ({ name: r.name, node: r.node, deployment: r.deployment });

/**
 * A virtual machine or container. Its deployment defaults to its public IP's or first disk's deployment.
 * @example
 * const vm = new tfgrid.ZMachine("web", {
 *   node: 1, network: net, flist: "https://hub.grid.tf/tf-official-apps/base:latest.flist",
 *   cpu: 1, memory: "1GiB", env: { SSH_KEY: key }, mounts: [{ disk, mountpoint: "/data" }],
 * });
 * export const ip = vm.privateIp;
 */
export class ZMachine extends WorkloadResource {
  /** IPv4 in the private network (allocated without collisions unless `ip` pins it). */
  declare readonly privateIp: pulumi.Output<string>;
  /** Yggdrasil IPv6, when `planetary`. */
  declare readonly planetaryIp: pulumi.Output<string>;
  /** Mycelium IPv6 (400::/7), when `mycelium`. */
  declare readonly myceliumIp: pulumi.Output<string>;
  /**
   * The 6-byte mycelium seed (hex), when `mycelium`: the given `myceliumSeed`, or the one derived from the network's
   * key and the machine's place (the same for a replacement). The last 48 bits of `myceliumIp`. Not a secret: the
   * address only moves with the Network's mycelium key, which is.
   * @example
   * export const seed = vm.myceliumSeed; // "a1b2c3d4e5f6"
   */
  declare readonly myceliumSeed: pulumi.Output<string>;
  /** `zmachine`, or `zmachine-light` on a light node (the provider asks the node's features). */
  declare readonly workloadType: pulumi.Output<string>;
  /** Console address inside the private network. */
  declare readonly consoleUrl: pulumi.Output<string>;
  /** The machine id on the node. */
  declare readonly machineId: pulumi.Output<string>;

  constructor(name: string, args: ZMachineArgs, opts?: pulumi.CustomResourceOptions) {
    const inherited = args.publicIp?.deployment ?? args.mounts?.[0]?.disk.deployment;
    super(
      'ZMachine',
      name,
      {
        ...placementInputs(name, args, inherited),
        flist: args.flist,
        flistChecksum: args.flistChecksum,
        // The network's identity, known at preview; the machine's own /24 is found on its node at create.
        network: { ...args.network.membership },
        ip: args.ip,
        cpu: args.cpu,
        memory: args.memory,
        rootfsSize: args.rootfsSize,
        entrypoint: args.entrypoint,
        env: args.env,
        mounts: (args.mounts ?? []).map((m) => ({ ...ref(m.disk), mountpoint: m.mountpoint })),
        publicIp: args.publicIp ? ref(args.publicIp) : undefined,
        planetary: args.planetary,
        mycelium: args.mycelium,
        myceliumSeed: args.myceliumSeed,
        corex: args.corex,
        gpus: args.gpus,
      },
      zmachineOutputDocs,
      // The Network is a dependency by option, not through its outputs: created or updated before the machine.
      dependOn(opts, args.network),
    );
  }
}

// Every provider output is declared on the class (fails `tsc` naming the one that is not).
export type ZMachineOutputsDeclared = ExpectNone<Undeclared<ZMachine, WorkloadOutputs<typeof zmachineOutputDocs>>>;
