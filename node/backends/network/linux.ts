/**
 * NetworkBackend on Linux (zos-protocol.md §6.2, §6.4; machine.md netns/veth/bridge and WireGuard): per network
 * resource a namespace with a bridge (the /24's `.1`), wireguard-go whose UDP socket lives in the node's host
 * namespace and whose tun is moved into the NR namespace (as ZOS moves its wg device), `100.64.b.c/16` on it and
 * a route for the whole ip_range; per machine a namespace joined to the bridge by a veth (or a tap for qemu);
 * public IPs as macvlans of the host uplink moved into the machine namespace. A VM (`tap` NIC) has no namespace of its
 * own: its public IP is a macvlan of the uplink carrying the guest's MAC, moved into the NR namespace, and a second tap
 * there (qemu's second NIC, the guest's eth1), joined both ways by tc `mirred` redirects on their ingress (a bridge
 * would keep the frames addressed to the macvlan's own MAC; tc `matchall` is missing on our kernels, `u32` is not).
 *
 * Machine-wide names all start with the node's prefix: namespaces `<p>-nr-<netId>` / `<p>-m-<hash>`, wireguard
 * interfaces `<p>w<hash8>` (their control sockets are machine-wide), macvlans `<p>p<hash8>` (renamed `pub` in a
 * machine namespace, kept in an NR namespace). Names inside our own namespaces (`br0`, `eth0`, `pub`, `v…`, `t…`,
 * `q…`) need no prefix.
 *
 * After a node restart `apply` and `attach` adopt what is still intact (an NR with a live wireguard-go, a machine
 * namespace, a VM's tap on `br0` that qemu holds open, a VM's public pair) instead of rebuilding it.
 *
 * Parts: names (`linux-names.ts`), an NR's namespace/bridge/wireguard (`linux-nr.ts`), a machine's private NIC
 * (`linux-machine-nic.ts`), public IPs (`linux-public-ip.ts`, a VM's in `linux-vm-public.ts`), wireguard-go
 * processes (`linux-wireguard.ts`), overlay routing (`linux-overlay.ts`); this file keeps the tables and the
 * NetworkBackend's order of steps.
 * @module
 */
import * as path from 'path';
import { InputError, ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { isAlive, tryCommand } from '../machine/host-command';
import { checkMachineIp } from './addressing';
import { containerPublicWiring } from './linux-public-ip';
import { machineNics } from './linux-machine-nic';
import { networkNames } from './linux-names';
import { checkNrConfig, networkResources } from './linux-nr';
import type { NrRecord } from './linux-nr';
import { OVERLAY_RANGES, overlayRouting } from './linux-overlay';
import { vmPublicWiring } from './linux-vm-public';
import { WG_SOCKET_DIR, wireguardProcesses } from './linux-wireguard';
import type { AttachRequest, MachineNic, NetworkBackend, NetworkHost, PublicIpRequest } from './network';

export interface LinuxNetworkOptions {
  host: NetworkHost;
  /** State directory (wireguard-go logs and pid files). */
  dir: string;
  log?: Logger;
}

const PREFIX = /^[a-z][a-z0-9]{0,5}$/;

export { OVERLAY_RANGES, WG_SOCKET_DIR };
export { networkNames };

export function createLinuxNetwork(opts: LinuxNetworkOptions): NetworkBackend {
  const { host } = opts;
  if (!PREFIX.test(host.prefix)) throw new InputError(`network prefix "${host.prefix}" must match ${PREFIX.source} (interface names are ≤ 15 chars)`);
  const names = networkNames(host.prefix);
  const dir = path.resolve(opts.dir);
  const log = (opts.log ?? silentLogger).child({ backend: 'network', prefix: host.prefix });
  const nrs = new Map<string, NrRecord>();
  const nics = new Map<string, MachineNic>();
  const publics = new Set<string>();
  // Serialise everything: ip(8) races on shared names are not worth the complexity at our scale.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const wireguard = wireguardProcesses(dir, host);
  const { connectOverlay, announce } = overlayRouting(host, names);
  const { adoptNr, createNr } = networkResources(names, wireguard, connectOverlay, log);
  const { describeNic, adoptNic, wireNic } = machineNics(names, announce, log);
  const { wireContainerPublic } = containerPublicWiring(host, names);
  const wireVmPublic = vmPublicWiring(host, names, log);

  async function removeNr(netId: string): Promise<void> {
    const r = nrs.get(netId);
    for (const [m, nic] of [...nics]) if (nic.netId === netId) await detachNow(m);
    if (r) await wireguard.stopWireguard(names.wg(netId), r.wgPid);
    // namespace teardown is asynchronous in the kernel: delete the host end of the overlay link ourselves
    if (host.uplink) await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', names.overlay(netId)]);
    await tryCommand('ip', ['netns', 'del', names.nrNetns(netId)]);
    nrs.delete(netId);
    log.info('network resource removed', { netId });
  }

  async function detachNow(machine: string): Promise<void> {
    const nic = nics.get(machine);
    if (nic) await announce(nic.netId, nic, false);
    if (nic?.kind === 'tap') {
      const nrNs = names.nrNetns(nic.netId);
      for (const dev of [nic.ifname, names.publicTap(machine), names.macvlan(machine)]) await tryCommand('ip', ['-n', nrNs, 'link', 'del', dev]);
    } else if (!nic) {
      // not attached since the node restarted: a VM's taps may still sit in one of our network resources
      const taps = [names.tap(machine), names.publicTap(machine), names.macvlan(machine)];
      for (const r of nrs.values()) for (const dev of taps) await tryCommand('ip', ['-n', r.info.netns, 'link', 'del', dev]);
    }
    await tryCommand('ip', ['netns', 'del', names.machineNetns(machine)]);
    await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', names.macvlan(machine)]);
    nics.delete(machine);
    publics.delete(machine);
  }

  const backend: NetworkBackend = {
    apply: (config) =>
      serial(async () => {
        const cfg = checkNrConfig(config, nrs);
        if (!nrs.has(cfg.netId)) {
          const adopted = await adoptNr(cfg);
          if (adopted) {
            nrs.set(cfg.netId, adopted);
            return { ...adopted.info };
          }
        }
        const have = nrs.get(cfg.netId);
        if (have && have.config.subnet === cfg.subnet && have.config.ipRange === cfg.ipRange && have.config.mycelium?.hexKey === cfg.mycelium?.hexKey && isAlive(have.wgPid)) {
          // update in place: key, port and peers
          await wireguard.writeWgConf(names.wg(cfg.netId), cfg);
          have.config = cfg;
          have.info = { ...have.info, wgListenPort: cfg.wgListenPort };
          log.info('network resource updated', { netId: cfg.netId, peers: cfg.peers.length });
          return { ...have.info };
        }
        if (have) await removeNr(cfg.netId);
        const r = await createNr(cfg);
        nrs.set(cfg.netId, r);
        return { ...r.info };
      }),

    get: async (netId) => {
      const r = nrs.get(netId);
      return r ? { ...r.info } : undefined;
    },
    list: async () => [...nrs.values()].map((r) => ({ ...r.info })),
    remove: (netId) => serial(() => removeNr(netId)),
    listWgPorts: async () => [...nrs.values()].map((r) => r.config.wgListenPort).sort((a, b) => a - b),
    listPrivateIps: async (netId) =>
      [...nics.values()]
        .filter((n) => n.netId === netId)
        .map((n) => n.ip)
        .sort(),

    attach: (req: AttachRequest) =>
      serial(async () => {
        const r = nrs.get(req.netId);
        if (!r) throw new ZosError(`could not get network resource subnet: network ${req.netId} not found`);
        checkMachineIp(req.ip, r.config.subnet);
        const kind = req.kind ?? 'veth';
        const have = nics.get(req.machine);
        if (have) {
          if (have.ip === req.ip && have.netId === req.netId && have.kind === kind) return { ...have };
          await detachNow(req.machine);
        }
        for (const n of nics.values()) {
          if (n.netId === req.netId && n.ip === req.ip) throw new ZosError(`ip ${req.ip} is already used by another machine in network ${req.netId}`);
        }
        const nic = describeNic(req, r, kind);
        if (!have) {
          const { adopted, hasPublic } = await adoptNic(nic, r);
          if (adopted) {
            nics.set(req.machine, nic);
            if (hasPublic) publics.add(req.machine);
            return { ...nic };
          }
        }
        try {
          await wireNic(nic, r);
        } catch (err) {
          await detachNow(req.machine);
          throw err;
        }
        nics.set(req.machine, nic);
        log.info('machine attached', { machine: req.machine, netId: req.netId, ip: req.ip, kind });
        return { ...nic };
      }),

    attachPublicIp: (req: PublicIpRequest) =>
      serial(async () => {
        const nic = nics.get(req.machine);
        if (!nic) throw new ZosError(`machine ${req.machine} has no private interface to add a public ip to`);
        if (!host.uplink) throw new ZosError('public ipv4 is requested, but not supported on this node');
        if (publics.has(req.machine)) return;
        if (nic.kind === 'tap') {
          nic.public = await wireVmPublic(nic, req, host.uplink);
          publics.add(req.machine);
          return;
        }
        await wireContainerPublic(nic, req, host.uplink);
        publics.add(req.machine);
        log.info('public ip attached', { machine: req.machine, ip: req.ip, ip6: req.ip6 });
      }),

    detach: (machine) => serial(() => detachNow(machine)),

    close: () =>
      serial(async () => {
        for (const m of [...nics.keys()]) await detachNow(m);
        for (const id of [...nrs.keys()]) await removeNr(id);
        if (host.uplink) for (const range of OVERLAY_RANGES) await tryCommand('ip', ['-n', host.hostNetns, '-6', 'route', 'del', range, 'dev', host.uplink]);
      }),
  };
  return backend;
}
