/**
 * Overlay routing between nodes on the local grid (see linux.ts): mycelium and planetary ranges over the host
 * namespace, with proxy NDP for each machine's overlay addresses.
 * @module
 */
import { inNetns, ipIn, tryCommand } from '../machine/host-command';
import type { MachineNic, NetworkHost } from './network';

/** Overlay ranges routed between nodes: planetary (200::/7) and mycelium (400::/7). */
export const OVERLAY_RANGES = ['200::/7', '400::/7'];

export function overlayRouting(host: NetworkHost, names: { overlay(netId: string): string }) {
  /**
   * Mycelium (400::/7) and planetary (200::/7) between nodes. ZOS runs overlay daemons; the local grid has no such
   * daemon, so the node routes both ranges over its host namespace instead: a veth joins the NR to the host
   * namespace, the host treats both ranges as on-link on its uplink and answers neighbour solicitations for its
   * own machines' addresses (proxy NDP). Nodes on one internet segment then reach each other's machines.
   */
  async function connectOverlay(netId: string, ns: string, myc: string | undefined): Promise<void> {
    if (!host.uplink) return;
    const hostEnd = names.overlay(netId);
    await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', hostEnd]);
    await ipIn(ns, 'link', 'add', 'overlay', 'type', 'veth', 'peer', 'name', hostEnd, 'netns', host.hostNetns);
    await ipIn(ns, '-6', 'addr', 'add', 'fe80::2/64', 'dev', 'overlay', 'nodad');
    await ipIn(host.hostNetns, '-6', 'addr', 'add', 'fe80::1/64', 'dev', hostEnd, 'nodad');
    await ipIn(ns, 'link', 'set', 'overlay', 'up');
    await ipIn(host.hostNetns, 'link', 'set', hostEnd, 'up');
    await inNetns(ns, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
    for (const range of OVERLAY_RANGES) await ipIn(ns, '-6', 'route', 'replace', range, 'via', 'fe80::1', 'dev', 'overlay');
    await inNetns(host.hostNetns, 'sh', ['-c', `echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; echo 1 > /proc/sys/net/ipv6/conf/${host.uplink}/proxy_ndp`]);
    for (const range of OVERLAY_RANGES) await ipIn(host.hostNetns, '-6', 'route', 'replace', range, 'dev', host.uplink, 'metric', '1024');
    if (myc) await ipIn(host.hostNetns, '-6', 'route', 'replace', myc, 'via', 'fe80::2', 'dev', hostEnd);
  }

  /** Publishes a machine's overlay addresses on the uplink (proxy NDP) and routes them to its NR. */
  async function announce(netId: string, nic: MachineNic, on: boolean): Promise<void> {
    if (!host.uplink) return;
    for (const a of [nic.myceliumIp, nic.planetaryIp]) {
      if (!a) continue;
      if (on) await ipIn(host.hostNetns, '-6', 'neigh', 'replace', 'proxy', a, 'dev', host.uplink);
      else await tryCommand('ip', ['-n', host.hostNetns, '-6', 'neigh', 'del', 'proxy', a, 'dev', host.uplink]);
    }
    if (nic.planetaryIp) {
      if (on) await ipIn(host.hostNetns, '-6', 'route', 'replace', `${nic.planetaryIp}/128`, 'via', 'fe80::2', 'dev', names.overlay(netId));
      else await tryCommand('ip', ['-n', host.hostNetns, '-6', 'route', 'del', `${nic.planetaryIp}/128`]);
    }
  }

  return { connectOverlay, announce };
}
