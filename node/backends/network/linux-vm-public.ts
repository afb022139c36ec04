/**
 * A VM's public NIC on Linux (see linux.ts's header): a macvlan of the uplink and a tap in the NR namespace joined
 * by tc mirred redirects.
 * @module
 */
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { inNetns, ipIn, tryCommand } from '../machine/host-command';
import { macFor, parseCidr4 } from './addressing';
import type { MachineNic, NetworkHost, PublicIpRequest, VmPublicNic } from './network';

interface VmPublicNames {
  nrNetns(netId: string): string;
  macvlan(machine: string): string;
  publicTap(machine: string): string;
}

export function vmPublicWiring(host: NetworkHost, names: VmPublicNames, log: Logger) {
  /**
   * A VM's public NIC (see the header): macvlan `<p>p<hash8>` of the uplink with the guest's MAC and tap `q<hash10>`,
   * both in the NR namespace, each one's ingress redirected to the other. The guest configures the address itself
   * (qemu passes it on the kernel command line), so the node only moves frames. A pair left by a node that restarted
   * while its VM kept running is adopted as it is (qemu holds the tap).
   */
  async function wireVmPublic(nic: MachineNic, req: PublicIpRequest, uplink: string): Promise<VmPublicNic> {
    if (!req.ip) throw new ZosError(`machine ${req.machine}: a VM-mode machine takes a public IPv4 on this node, not IPv6 alone`);
    if (!parseCidr4(req.ip)) throw new ZosError(`invalid public ip '${req.ip}': expected an IPv4 CIDR such as 185.1.2.3/24`);
    if (req.ip6) log.warn('public ipv6 of a VM is not configured in the guest', { machine: req.machine, ip6: req.ip6 });
    const nrNs = names.nrNetns(nic.netId);
    const mv = names.macvlan(req.machine);
    const tap = names.publicTap(req.machine);
    const pub: VmPublicNic = { ifname: tap, mac: macFor(`pub:${req.machine}`), ip: req.ip, gateway: req.gateway };
    const shown = async (dev: string) => (await ipIn(nrNs, '-o', 'link', 'show', 'dev', dev).catch(() => ({ stdout: '' }))).stdout;
    const [mvNow, tapNow] = [await shown(mv), await shown(tap)];
    const tc = (...args: string[]) => inNetns(nrNs, 'tc', args);
    if (mvNow.includes(pub.mac) && tapNow.includes(tap) && (await tc('filter', 'show', 'dev', tap, 'ingress').catch(() => ({ stdout: '' }))).stdout.includes('mirred')) {
      log.info('vm public interface adopted', { machine: req.machine });
      return pub;
    }
    for (const dev of [mv, tap]) await tryCommand('ip', ['-n', nrNs, 'link', 'del', dev]);
    await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', mv]);
    await ipIn(host.hostNetns, 'link', 'add', mv, 'link', uplink, 'address', pub.mac, 'type', 'macvlan', 'mode', 'bridge');
    try {
      await ipIn(host.hostNetns, 'link', 'set', mv, 'netns', nrNs);
      await ipIn(nrNs, 'tuntap', 'add', tap, 'mode', 'tap');
      for (const dev of [mv, tap]) await ipIn(nrNs, 'link', 'set', dev, 'up');
      for (const [from, to] of [
        [mv, tap],
        [tap, mv],
      ]) {
        await tc('qdisc', 'add', 'dev', from, 'ingress');
        await tc('filter', 'add', 'dev', from, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to);
      }
    } catch (err) {
      await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', mv]);
      for (const dev of [mv, tap]) await tryCommand('ip', ['-n', nrNs, 'link', 'del', dev]);
      throw err;
    }
    log.info('vm public interface wired', { machine: req.machine, ip: req.ip, tap });
    return pub;
  }

  return wireVmPublic;
}
