/**
 * A container machine's public IP on Linux (see linux.ts's header; zos-protocol.md §6.4): a macvlan of the host
 * uplink made in the node's host namespace, moved into the machine namespace and renamed `pub`, with the public
 * addresses and default routes. (A VM's public NIC is wired differently: linux-vm-public.ts.)
 * @module
 */
import { ipIn, tryCommand } from '../machine/host-command';
import { macFor } from './addressing';
import type { MachineNic, NetworkHost, PublicIpRequest } from './network';

export function containerPublicWiring(host: NetworkHost, names: { macvlan(machine: string): string }) {
  /** Gives the machine namespace of `nic` its `pub` link; a failure removes the half-made link. */
  async function wireContainerPublic(nic: MachineNic, req: PublicIpRequest, uplink: string): Promise<void> {
    const tmp = names.macvlan(req.machine);
    const mns = nic.netns;
    await tryCommand('ip', ['-n', host.hostNetns, 'link', 'del', tmp]);
    await ipIn(host.hostNetns, 'link', 'add', tmp, 'link', uplink, 'address', macFor(`pub:${req.machine}`), 'type', 'macvlan', 'mode', 'bridge');
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
  }

  return { wireContainerPublic };
}
