/**
 * NetworkBackend, state only: the same validation, addressing and bookkeeping as the Linux backend (so the API
 * answers alike), without namespaces or WireGuard. For machines without root; never CI's fallback.
 * zos-protocol.md §6.2, §6.4, §1.5 ip.
 *
 * Public IPs: the sim node's public side is simulated, so a public IP on an attached container is recorded (state
 * only) rather than refused. Whether the node may host public IPs at all is the engine's call, made from the node's
 * config before the backend is asked (zmachine manager: no `publicConfig` → "public ipv4 is requested, but not
 * supported on this node"). `publicIps: false` models a node without a public side at the backend too.
 * @module
 */
import { ZosError } from '../../../protocol/common/errors';
import { checkMachineIp, describeNic, macFor, myceliumPrefix, parseCidr4 } from './addressing';
import { NETWORK_ERRORS, gatewayFor, networkConfigSchema, wgIpFor } from './network';
import type { MachineNic, NetworkBackend, NetworkConfig, NetworkInfo, PublicIpRequest } from './network';

export interface SimNetworkOptions {
  prefix: string;
  /** Name of the simulated uplink (informational; the Linux backend's `NetworkHost.uplink`). */
  uplink?: string;
  /** Accept public IPs (default true); false: refuse them as a node without an uplink does. */
  publicIps?: boolean;
}

export function createSimNetwork(opts: SimNetworkOptions): NetworkBackend & { publicIpOf(machine: string): PublicIpRequest | undefined } {
  const nrs = new Map<string, { config: NetworkConfig; info: NetworkInfo }>();
  const nics = new Map<string, MachineNic>();
  const publics = new Map<string, PublicIpRequest>();
  const detach = (m: string) => {
    nics.delete(m);
    publics.delete(m);
  };
  return {
    async apply(config) {
      const cfg = networkConfigSchema.parse(config);
      if (!parseCidr4(cfg.subnet)) throw new ZosError(`invalid network resource subnet '${cfg.subnet}'`);
      if (!parseCidr4(cfg.ipRange)) throw new ZosError(`invalid network IP range '${cfg.ipRange}'`);
      for (const [id, r] of nrs) {
        if (id !== cfg.netId && r.config.wgListenPort === cfg.wgListenPort) throw new ZosError(NETWORK_ERRORS.portInUse, { nodeMessage: NETWORK_ERRORS.portInUse });
      }
      const info: NetworkInfo = {
        netId: cfg.netId,
        subnet: cfg.subnet,
        ipRange: cfg.ipRange,
        gateway: gatewayFor(cfg.subnet),
        wgIp: wgIpFor(cfg.subnet),
        wgListenPort: cfg.wgListenPort,
        netns: `${opts.prefix}-nr-${cfg.netId}`,
        ...(cfg.mycelium ? { myceliumPrefix: myceliumPrefix(cfg.mycelium.hexKey) } : {}),
      };
      const have = nrs.get(cfg.netId);
      if (have && have.config.subnet !== cfg.subnet) for (const [m, n] of [...nics]) if (n.netId === cfg.netId) detach(m);
      nrs.set(cfg.netId, { config: cfg, info });
      return { ...info };
    },
    get: async (id) => (nrs.has(id) ? { ...(nrs.get(id)?.info as NetworkInfo) } : undefined),
    list: async () => [...nrs.values()].map((r) => ({ ...r.info })),
    async remove(netId) {
      for (const [m, n] of [...nics]) if (n.netId === netId) detach(m);
      nrs.delete(netId);
    },
    listWgPorts: async () => [...nrs.values()].map((r) => r.config.wgListenPort).sort((a, b) => a - b),
    listPrivateIps: async (netId) =>
      [...nics.values()]
        .filter((n) => n.netId === netId)
        .map((n) => n.ip)
        .sort(),
    async attach(req) {
      const r = nrs.get(req.netId);
      if (!r) throw new ZosError(`could not get network resource subnet: network ${req.netId} not found`);
      checkMachineIp(req.ip, r.config.subnet);
      const kind = req.kind ?? 'veth';
      const have = nics.get(req.machine);
      if (have && have.ip === req.ip && have.netId === req.netId && have.kind === kind) return { ...have };
      if (have) detach(req.machine);
      for (const n of nics.values()) {
        if (n.netId === req.netId && n.ip === req.ip) throw new ZosError(`ip ${req.ip} is already used by another machine in network ${req.netId}`);
      }
      const nic = describeNic(req, r, kind, { netns: kind === 'tap' ? r.info.netns : `${opts.prefix}-m-${req.machine}`, ifname: kind === 'tap' ? `t-${req.machine}` : 'eth0' });
      nics.set(req.machine, nic);
      return { ...nic };
    },
    async attachPublicIp(req) {
      const nic = nics.get(req.machine);
      if (!nic) throw new ZosError(`machine ${req.machine} has no private interface to add a public ip to`);
      if (opts.publicIps === false) throw new ZosError('public ipv4 is requested, but not supported on this node');
      if (nic.kind === 'tap' && !req.ip) throw new ZosError(`machine ${req.machine}: a VM-mode machine takes a public IPv4 on this node, not IPv6 alone`);
      if (req.ip && !parseCidr4(req.ip)) throw new ZosError(`invalid public ip '${req.ip}': expected an IPv4 CIDR such as 185.1.2.3/24`);
      for (const [m, p] of publics) {
        if (m === req.machine) continue;
        if ((req.ip && p.ip === req.ip) || (req.ip6 && p.ip6 === req.ip6)) throw new ZosError(`public ip ${req.ip || req.ip6} is already used by machine ${m}`);
      }
      publics.set(req.machine, { ...req });
      // A VM's second NIC, as the linux backend describes it (qemu gets it from `attach`).
      if (nic.kind === 'tap' && req.ip) nic.public = { ifname: `q-${req.machine}`, mac: macFor(`pub:${req.machine}`), ip: req.ip, gateway: req.gateway };
    },
    publicIpOf: (machine) => (publics.has(machine) ? { ...(publics.get(machine) as PublicIpRequest) } : undefined),
    detach: async (m) => detach(m),
    async close() {
      nics.clear();
      publics.clear();
      nrs.clear();
    },
  };
}
