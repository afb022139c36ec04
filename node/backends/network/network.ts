/**
 * NetworkBackend: private networks (`network` workloads, one network resource "NR" per (twin, network name) on a
 * node) and the machine side of them: a private interface per machine and public IPs (`ip` workloads).
 * Facts: zos-protocol.md §1.5 network, §6.2 private network / mycelium, §6.4, §7 (gateway .1, `100.64.b.c/16`).
 * Implementations: `linux.ts` (netns + bridge + veth + wireguard-go), `sim.ts` (state only); `network.suite.ts`.
 *
 * Topology the Linux backend builds (names carry the node's prefix, see `NetworkHost.prefix`):
 *
 *     host netns (given: the node's "public" side, with its uplink)
 *       └─ wireguard-go UDP socket on wg_listen_port  ──tun moved──►  NR netns
 *     NR netns: bridge 10.20.2.1/24, wg 100.64.20.2/16, route ip_range via wg, ip_forward=1
 *       └─ veth ──► machine netns: eth0 10.20.2.5/24, routes ip_range + 100.64/16 (+ default) via 10.20.2.1
 *       └─ tap (qemu) ──► the guest sets the same on its eth0 from the kernel command line (`MachineNic.routes`)
 *     public IP: macvlan on the host uplink ──► machine netns "pub" 185.x.y.z/24, default via the farm gateway
 *     public IP of a VM (`tap` NIC): macvlan of the uplink with the guest's MAC ──► NR netns, joined both ways by tc
 *       mirred redirects to a second tap there that qemu opens as the guest's eth1 (the guest sets the address)
 *
 * Lifecycle, by example:
 *
 *     const nr = await net.apply({ netId: networkId(7, 'net1'), ipRange: '10.20.0.0/16', subnet: '10.20.2.0/24',
 *       wgPrivateKey, wgListenPort: 4521, peers: [{ subnet: '10.20.3.0/24', wgPublicKey, endpoint: '10.0.0.3:4522',
 *       allowedIps: ['10.20.3.0/24', '100.64.20.3/32'] }] });
 *     // nr.gateway === '10.20.2.1', nr.wgIp === '100.64.20.2/16'. apply again with new peers = update in place.
 *     const nic = await net.attach({ netId: nr.netId, machine: '7-42-vm', ip: '10.20.2.5' });
 *     // nic.netns is the machine's namespace: a container joins it (runc `linux.namespaces`); `kind: 'tap'`
 *     // instead gives a tap in the NR namespace for qemu, which then runs in nic.netns.
 *     // nic.routes === ['10.20.0.0/16', '100.64.0.0/16']: via nic.gateway, whatever the default route is
 *     await net.attachPublicIp({ machine: '7-42-vm', ip: '185.1.2.3/24', gateway: '185.1.2.1' });
 *     // a `tap` NIC now carries `public` (the second tap for qemu): `attach` again returns the updated NIC
 *     await net.detach('7-42-vm');            // removes the machine's interfaces, public ip and namespace
 *     await net.remove(nr.netId);             // stops wireguard-go, deletes the NR namespace; frees the port
 *
 * After a node restart, `apply` and `attach` adopt an NR / machine interface that is still intact (namespace, live
 * wireguard-go, addresses) instead of rebuilding it, so running machines stay connected.
 * Errors carry ZOS's texts (`NETWORK_ERRORS`): a taken port, an IP outside the subnet, `.1`.
 * @module
 */
import { createHash } from 'crypto';
import { z } from 'zod';

/** Where a node's networks live. One per node; every machine-wide name starts with `prefix`. */
export interface NetworkHost {
  /** 1..6 chars `[a-z][a-z0-9]*`, unique per node on this machine (Linux interface names are ≤ 15 chars). */
  prefix: string;
  /** The node's host namespace (wireguard sockets and the uplink live there). Created by the local grid. */
  hostNetns: string;
  /** Interface in `hostNetns` facing the grid's internet; public IPs are macvlans on it. */
  uplink?: string;
}

export const wgPeerSchema = z.object({
  subnet: z.string().min(1, 'peer wireguard subnet cannot empty'),
  wgPublicKey: z.string().min(1, 'peer wireguard public key cannot empty'),
  allowedIps: z.array(z.string()).min(1, 'peer wireguard allowedIPs cannot empty'),
  /** `ip:port`, `[ip6]:port` or '' (peer not reachable; it reaches us). */
  endpoint: z.string(),
});
export type WgPeer = z.infer<typeof wgPeerSchema>;

export const networkConfigSchema = z.object({
  /** `networkId(twin, name)`: the NR key (ZOS NetID). */
  netId: z.string().regex(/^[A-Za-z0-9]{1,32}$/),
  ipRange: z.string().min(1, 'network IP range cannot be empty'),
  subnet: z.string().min(1, 'network resource subnet cannot empty'),
  wgPrivateKey: z.string().min(1, 'network resource wireguard private key cannot empty'),
  wgListenPort: z.number().int().min(1).max(65535),
  peers: z.array(wgPeerSchema),
  /** 32 bytes hex; addresses in 400::/7 for machines that ask. */
  mycelium: z.object({ hexKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'invalid mycelium key length, expected 32') }).optional(),
});
export type NetworkConfig = z.infer<typeof networkConfigSchema>;

export interface NetworkInfo {
  netId: string;
  subnet: string;
  ipRange: string;
  /** `x.y.z.1` of the subnet. */
  gateway: string;
  /** `100.64.b.c/16`. */
  wgIp: string;
  wgListenPort: number;
  /** The NR namespace name (Linux) — gateways/zlogs enter it to reach private IPs. */
  netns: string;
  /** Mycelium /64 of the NR (`4xx:...::/64`), when configured. */
  myceliumPrefix?: string;
}

export interface AttachRequest {
  netId: string;
  /** Workload id of the machine; keys its namespace and interfaces. */
  machine: string;
  /** IPv4 inside the NR subnet, not `.1`. */
  ip: string;
  /** `veth` (container, default) or `tap` (qemu). */
  kind?: 'veth' | 'tap';
  /** 6 bytes hex: adds `<NR mycelium /64>::ff0f:<seed>` to the interface. */
  myceliumSeed?: string;
  /** Adds a planetary (200::/7) address derived from the machine id. */
  planetary?: boolean;
}

/**
 * A VM's NIC on the public network (ZOS gives a VM a second NIC there): the tap qemu opens, in the NR namespace like
 * the private one, with the guest's MAC (the macvlan on the uplink carries the same MAC), and the guest's addresses.
 */
export interface VmPublicNic {
  ifname: string;
  mac: string;
  /** IPv4 CIDR, e.g. `198.18.1.10/16`. */
  ip: string;
  gateway: string;
}

export interface MachineNic {
  machine: string;
  netId: string;
  /** Namespace the machine runs in (containers join it; qemu is started inside it). */
  netns: string;
  /** The NR's namespace (the machine's console listens there, on `<subnet .0>:<20000 + last octet>`, §4). */
  nrNetns?: string;
  /** Interface name as the machine sees it (`eth0`), or the tap name for qemu. */
  ifname: string;
  kind: 'veth' | 'tap';
  ip: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  myceliumIp?: string;
  planetaryIp?: string;
  /**
   * IPv4 CIDRs the machine routes via `gateway` on this NIC whatever its default route is (`privateRoutes`): the
   * network's ip_range (other nodes' subnets) and 100.64.0.0/16 (WireGuard peers). They matter once a public IP
   * takes the default route: replies to the private network must still leave here. A VM's guest gets them from qemu.
   * Absent on a NIC recorded before this field existed.
   */
  routes?: string[];
  /** `tap` NICs with a public IPv4 (set by `attachPublicIp`): qemu's second NIC, the guest's eth1. */
  public?: VmPublicNic;
}

export interface PublicIpRequest {
  machine: string;
  /** v4 CIDR (`185.1.2.3/24`), or '' for none. */
  ip: string;
  /** v4 gateway, '' for none. */
  gateway: string;
  /** v6 CIDR, optional. */
  ip6?: string;
  gateway6?: string;
}

export interface NetworkBackend {
  /** Creates or re-applies (update in place: peers, key, port) a network resource. Validates the config. */
  apply(config: NetworkConfig): Promise<NetworkInfo>;
  get(netId: string): Promise<NetworkInfo | undefined>;
  list(): Promise<NetworkInfo[]>;
  /** Removes the NR; machines still attached are detached first. Unknown ids are fine. */
  remove(netId: string): Promise<void>;
  /** WireGuard ports in use (zos.network.list_wg_ports). */
  listWgPorts(): Promise<number[]>;
  /** Private IPs attached in one NR (zos.network.list_private_ips). */
  listPrivateIps(netId: string): Promise<string[]>;
  /** Gives a machine its private interface; idempotent for the same (machine, ip). */
  attach(req: AttachRequest): Promise<MachineNic>;
  /**
   * Adds a public address to an attached machine: a `veth` machine's namespace gets a `pub` interface; a `tap`
   * machine (VM) gets a second tap wired to the uplink, recorded as the NIC's `public` (read it back with `attach`).
   */
  attachPublicIp(req: PublicIpRequest): Promise<void>;
  /** Removes the machine's interfaces, public IP and namespace; idempotent. */
  detach(machine: string): Promise<void>;
  /** Stops every process this backend started and removes everything it created (on `down`). */
  close(): Promise<void>;
}

/** ZOS's texts (pkg/network, primitives/vm/utils.go). */
export const NETWORK_ERRORS = {
  portInUse: 'wireguard listen port already in use, pick another one',
  notIpv4: 'invalid IPv4 supplied to wg interface',
  notInSubnet: (ip: string, subnet: string) => `IP ${ip} is not part of local nr subnet ${subnet}`,
  reserved: (ip: string) => `ip ${ip} is reserved`,
} as const;

/** A short, stable NR key for (twin, network name): hex of md5("<twin>:<name>"), 16 chars. */
export function networkId(twin: number, name: string): string {
  return createHash('md5').update(`${twin}:${name}`).digest('hex').slice(0, 16);
}

/** `100.64.<b>.<c>/16` for subnet `a.b.c.0/24` (§6.4). */
export function wgIpFor(subnet: string): string {
  const [, b, c] = subnet.split('/')[0].split('.');
  return `100.64.${Number(b)}.${Number(c)}/16`;
}

/** The WireGuard range of every network (§6.4): NR addresses `100.64.b.c` and access peers (laptops). */
export const WG_RANGE = '100.64.0.0/16';

/** What a machine routes via its NR gateway besides its subnet (zosbase primitives/vm: ip_range + 100.64/16). */
export function privateRoutes(ipRange: string): string[] {
  return ipRange === WG_RANGE ? [WG_RANGE] : [ipRange, WG_RANGE];
}

/** `x.y.z.1` of a /24. */
export function gatewayFor(subnet: string): string {
  const [a, b, c] = subnet.split('/')[0].split('.');
  return `${a}.${b}.${c}.1`;
}
