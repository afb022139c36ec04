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
 * @module
 */
import { createHash } from 'crypto';
import { existsSync, openSync, closeSync, promises as fs } from 'fs';
import * as path from 'path';
import { InputError, ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { inNetns, ipIn, isAlive, killPid, runCommand, sleep, spawnDaemon, tryCommand } from '../machine/host-command';
import { checkMachineIp, macFor, myceliumIp, myceliumPrefix, parseCidr4, planetaryIp } from './addressing';
import { NETWORK_ERRORS, gatewayFor, networkConfigSchema, privateRoutes, wgIpFor } from './network';
import { OVERLAY_RANGES, overlayRouting } from './linux-overlay';
import { vmPublicWiring } from './linux-vm-public';
import { WG_SOCKET_DIR, wireguardProcesses } from './linux-wireguard';
import type { AttachRequest, MachineNic, NetworkBackend, NetworkConfig, NetworkHost, NetworkInfo, PublicIpRequest, VmPublicNic } from './network';

export interface LinuxNetworkOptions {
  host: NetworkHost;
  /** State directory (wireguard-go logs and pid files). */
  dir: string;
  log?: Logger;
}

const PREFIX = /^[a-z][a-z0-9]{0,5}$/;

const short = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

export { OVERLAY_RANGES, WG_SOCKET_DIR };

/** Names this node uses on the machine (also what cleanupAll looks for). */
export function networkNames(prefix: string) {
  return {
    nrNetns: (netId: string) => `${prefix}-nr-${netId}`,
    machineNetns: (machine: string) => `${prefix}-m-${short(machine, 12)}`,
    wg: (netId: string) => `${prefix}w${short(netId, 8)}`,
    macvlan: (machine: string) => `${prefix}p${short(machine, 8)}`,
    /** host-side end of the NR's overlay (400::/7, 200::/7) link */
    overlay: (netId: string) => `${prefix}o${short(netId, 8)}`,
    veth: (machine: string) => `v${short(machine, 10)}`,
    tap: (machine: string) => `t${short(machine, 10)}`,
    /** a VM's second tap, on the public network (in the NR namespace) */
    publicTap: (machine: string) => `q${short(machine, 10)}`,
    isOurs: (netns: string) => netns.startsWith(`${prefix}-nr-`) || netns.startsWith(`${prefix}-m-`),
  };
}

interface NrRecord {
  config: NetworkConfig;
  info: NetworkInfo;
  wgPid: number;
}

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
  const { writeWgConf, startWireguard, readPid, stopWireguard } = wireguardProcesses(dir, host);
  const { connectOverlay, announce } = overlayRouting(host, names);
  const wireVmPublic = vmPublicWiring(host, names, log);


  async function netnsExists(ns: string): Promise<boolean> {
    return existsSync(`/run/netns/${ns}`);
  }

  /** After a node restart: take over an NR this node built before (namespace + live wireguard-go), if intact. */
  async function adoptNr(cfg: NetworkConfig): Promise<NrRecord | undefined> {
    const ns = names.nrNetns(cfg.netId);
    const wg = names.wg(cfg.netId);
    const pid = await readPid(wg);
    if (!pid || !isAlive(pid) || !(await netnsExists(ns))) return undefined;
    const link = await ipIn(ns, '-o', 'addr', 'show', 'dev', wg).catch(() => ({ stdout: '' }));
    if (!link.stdout.includes(` ${wgIpFor(cfg.subnet)} `)) return undefined;
    const br = await ipIn(ns, '-o', 'addr', 'show', 'dev', 'br0').catch(() => ({ stdout: '' }));
    if (!br.stdout.includes(` ${gatewayFor(cfg.subnet)}/`)) return undefined;
    const info: NetworkInfo = {
      netId: cfg.netId,
      subnet: cfg.subnet,
      ipRange: cfg.ipRange,
      gateway: gatewayFor(cfg.subnet),
      wgIp: wgIpFor(cfg.subnet),
      wgListenPort: cfg.wgListenPort,
      netns: ns,
      ...(cfg.mycelium ? { myceliumPrefix: myceliumPrefix(cfg.mycelium.hexKey) } : {}),
    };
    await writeWgConf(wg, cfg);
    await ipIn(ns, 'route', 'replace', cfg.ipRange, 'dev', wg);
    log.info('network resource adopted', { netId: cfg.netId });
    return { config: cfg, info, wgPid: pid };
  }



  async function createNr(cfg: NetworkConfig): Promise<NrRecord> {
    const ns = names.nrNetns(cfg.netId);
    const wg = names.wg(cfg.netId);
    const gw = gatewayFor(cfg.subnet);
    const info: NetworkInfo = {
      netId: cfg.netId,
      subnet: cfg.subnet,
      ipRange: cfg.ipRange,
      gateway: gw,
      wgIp: wgIpFor(cfg.subnet),
      wgListenPort: cfg.wgListenPort,
      netns: ns,
      ...(cfg.mycelium ? { myceliumPrefix: myceliumPrefix(cfg.mycelium.hexKey) } : {}),
    };
    await tryCommand('ip', ['netns', 'del', ns]); // a leftover of a crash is rebuilt from scratch
    await runCommand('ip', ['netns', 'add', ns]);
    let pid = 0;
    try {
      await ipIn(ns, 'link', 'set', 'lo', 'up');
      await ipIn(ns, 'link', 'add', 'br0', 'type', 'bridge');
      await ipIn(ns, 'addr', 'add', `${gw}/${parseCidr4(cfg.subnet)?.bits ?? 24}`, 'dev', 'br0');
      await ipIn(ns, 'link', 'set', 'br0', 'up');
      // console_url is `<subnet .0>:<port>` (§4): the NR owns .0 so consoles answer there
      await ipIn(ns, 'addr', 'add', `${cfg.subnet.split('/')[0]}/32`, 'dev', 'lo');
      await inNetns(ns, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
      pid = await startWireguard(wg, ns);
      await writeWgConf(wg, cfg);
      await ipIn(ns, 'addr', 'add', info.wgIp, 'dev', wg);
      await ipIn(ns, 'link', 'set', wg, 'up');
      await ipIn(ns, 'route', 'replace', cfg.ipRange, 'dev', wg);
      if (info.myceliumPrefix) await ipIn(ns, '-6', 'addr', 'add', info.myceliumPrefix.replace('::/64', '::1/64'), 'dev', 'br0', 'nodad');
      await ipIn(ns, '-6', 'addr', 'add', 'fe80::1/64', 'dev', 'br0', 'nodad');
      await connectOverlay(cfg.netId, ns, info.myceliumPrefix);
    } catch (err) {
      if (pid) await stopWireguard(wg, pid);
      await tryCommand('ip', ['netns', 'del', ns]);
      throw err;
    }
    log.info('network resource created', { netId: cfg.netId, subnet: cfg.subnet, port: cfg.wgListenPort });
    return { config: cfg, info, wgPid: pid };
  }

  async function removeNr(netId: string): Promise<void> {
    const r = nrs.get(netId);
    for (const [m, nic] of [...nics]) if (nic.netId === netId) await detachNow(m);
    if (r) await stopWireguard(names.wg(netId), r.wgPid);
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
        const cfg = networkConfigSchema.parse(config);
        if (!parseCidr4(cfg.subnet)) throw new ZosError(`invalid network resource subnet '${cfg.subnet}'`);
        if (!parseCidr4(cfg.ipRange)) throw new ZosError(`invalid network IP range '${cfg.ipRange}'`);
        for (const [id, r] of nrs) {
          if (id !== cfg.netId && r.config.wgListenPort === cfg.wgListenPort) {
            throw new ZosError(NETWORK_ERRORS.portInUse, { nodeMessage: NETWORK_ERRORS.portInUse });
          }
        }
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
          await writeWgConf(names.wg(cfg.netId), cfg);
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
    listPrivateIps: async (netId) => [...nics.values()].filter((n) => n.netId === netId).map((n) => n.ip).sort(),

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
        const bits = parseCidr4(r.config.subnet)?.bits ?? 24;
        const mac = macFor(req.machine);
        const nrNs = r.info.netns;
        const mns = names.machineNetns(req.machine);
        const nic: MachineNic = {
          machine: req.machine,
          netId: req.netId,
          netns: mns,
          nrNetns: nrNs,
          ifname: 'eth0',
          kind,
          ip: req.ip,
          prefixLength: bits,
          gateway: r.info.gateway,
          mac,
          routes: privateRoutes(r.config.ipRange),
        };
        if (req.myceliumSeed) {
          if (!r.info.myceliumPrefix) throw new ZosError(`network ${req.netId} has no mycelium configuration`);
          nic.myceliumIp = myceliumIp(r.info.myceliumPrefix, req.myceliumSeed);
        }
        if (req.planetary) nic.planetaryIp = planetaryIp(req.machine);
        // After a node restart a running machine still holds its namespace: keep it when it is intact.
        if (kind === 'veth' && !have && (await netnsExists(mns))) {
          const shown = await ipIn(mns, '-o', 'addr', 'show', 'dev', 'eth0').catch(() => ({ stdout: '' }));
          const peer = await ipIn(nrNs, '-o', 'link', 'show', 'dev', names.veth(req.machine)).catch(() => ({ stdout: '' }));
          if (shown.stdout.includes(` ${req.ip}/${bits} `) && peer.stdout.includes('master br0')) {
            nics.set(req.machine, nic);
            const pub = await ipIn(mns, '-o', 'link', 'show', 'dev', 'pub').catch(() => ({ stdout: '' }));
            if (pub.stdout.trim()) publics.add(req.machine);
            log.info('machine interface adopted', { machine: req.machine });
            return { ...nic };
          }
        }
        // Likewise a VM's tap: qemu (which outlives the node process) holds it open, so it cannot be made again.
        if (kind === 'tap' && !have) {
          const tap = names.tap(req.machine);
          const shown = (await ipIn(nrNs, '-o', 'link', 'show', 'dev', tap).catch(() => ({ stdout: '' }))).stdout;
          if (shown.includes('master br0')) {
            if (!/[<,]UP[,>]/.test(shown)) await ipIn(nrNs, 'link', 'set', tap, 'up');
            Object.assign(nic, { netns: nrNs, ifname: tap });
            nics.set(req.machine, nic);
            log.info('machine interface adopted', { machine: req.machine, tap });
            return { ...nic };
          }
          if (shown.trim()) await tryCommand('ip', ['-n', nrNs, 'link', 'del', tap]);
        }
        try {
          if (kind === 'tap') {
            // qemu runs inside the NR namespace and opens the tap there; the guest configures its own address and
            // `nic.routes` (vm-qemu.ts passes both on the kernel command line).
            const tap = names.tap(req.machine);
            await ipIn(nrNs, 'tuntap', 'add', tap, 'mode', 'tap');
            await ipIn(nrNs, 'link', 'set', tap, 'master', 'br0', 'up');
            Object.assign(nic, { netns: nrNs, ifname: tap });
          } else {
            await tryCommand('ip', ['netns', 'del', mns]);
            await runCommand('ip', ['netns', 'add', mns]);
            await ipIn(mns, 'link', 'set', 'lo', 'up');
            const v = names.veth(req.machine);
            await ipIn(nrNs, 'link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', mns, 'address', mac);
            await ipIn(nrNs, 'link', 'set', v, 'master', 'br0', 'up');
            await ipIn(mns, 'addr', 'add', `${req.ip}/${bits}`, 'dev', 'eth0');
            await ipIn(mns, 'link', 'set', 'eth0', 'up');
            await ipIn(mns, 'route', 'add', 'default', 'via', r.info.gateway, 'dev', 'eth0');
            for (const net of nic.routes ?? []) await ipIn(mns, 'route', 'add', net, 'via', r.info.gateway, 'dev', 'eth0');
            if (nic.myceliumIp) {
              await ipIn(mns, '-6', 'addr', 'add', `${nic.myceliumIp}/64`, 'dev', 'eth0', 'nodad');
            }
            if (nic.planetaryIp) {
              await ipIn(mns, '-6', 'addr', 'add', `${nic.planetaryIp}/128`, 'dev', 'eth0', 'nodad');
              await ipIn(nrNs, '-6', 'route', 'replace', `${nic.planetaryIp}/128`, 'dev', 'br0');
            }
            if (nic.myceliumIp || nic.planetaryIp) {
              for (const range of OVERLAY_RANGES) await ipIn(mns, '-6', 'route', 'replace', range, 'via', 'fe80::1', 'dev', 'eth0');
              await announce(req.netId, nic, true);
            }
          }
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
        const tmp = names.macvlan(req.machine);
        const mns = nic.netns;
        await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', tmp]);
        await ipIn(host.hostNetns, 'link', 'add', tmp, 'link', host.uplink, 'address', macFor(`pub:${req.machine}`), 'type', 'macvlan', 'mode', 'bridge');
        try {
          await ipIn(host.hostNetns, 'link', 'set', tmp, 'netns', mns);
          await ipIn(mns, 'link', 'set', tmp, 'name', 'pub');
          if (req.ip) await ipIn(mns, 'addr', 'add', req.ip, 'dev', 'pub');
          if (req.ip6) await ipIn(mns, '-6', 'addr', 'add', req.ip6, 'dev', 'pub', 'nodad');
          await ipIn(mns, 'link', 'set', 'pub', 'up');
          if (req.ip && req.gateway) await ipIn(mns, 'route', 'replace', 'default', 'via', req.gateway, 'dev', 'pub');
          if (req.ip6 && req.gateway6) await ipIn(mns, '-6', 'route', 'replace', 'default', 'via', req.gateway6, 'dev', 'pub');
        } catch (err) {
          await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', tmp]);
          await tryCommand('ip', ['-n', mns, 'link', 'del', 'pub']);
          throw err;
        }
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
