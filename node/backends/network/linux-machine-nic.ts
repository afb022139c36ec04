/**
 * A machine's private NIC on Linux (see linux.ts's header): a container gets its own namespace `<p>-m-<hash>`
 * joined to the NR's bridge by a veth (`eth0` inside, with its private, mycelium and planetary addresses and
 * routes); a VM gets a tap on the NR's bridge that qemu opens inside the NR namespace. After a node restart a
 * running machine still holds its namespace or tap: an intact one is adopted, never made again.
 * @module
 */
import { existsSync } from 'fs';
import type { Logger } from '../../../protocol/common/log';
import { ipIn, runCommand, tryCommand } from '../machine/host-command';
import { describeNic as describeNicOn } from './addressing';
import type { NetworkNames } from './linux-names';
import type { NrRecord } from './linux-nr';
import { OVERLAY_RANGES } from './linux-overlay';
import type { overlayRouting } from './linux-overlay';
import type { AttachRequest, MachineNic } from './network';

export function machineNics(names: NetworkNames, announce: ReturnType<typeof overlayRouting>['announce'], log: Logger) {
  /** The NIC `req` asks for on NR `r` (names, addresses, routes), before anything is made. */
  function describeNic(req: AttachRequest, r: NrRecord, kind: MachineNic['kind']): MachineNic {
    return describeNicOn(req, r, kind, { netns: names.machineNetns(req.machine), ifname: 'eth0' });
  }

  /**
   * After a node restart: whether the machine's namespace (veth) or tap (VM) on NR `r` is still intact and taken over as `nic`;
   * `hasPublic` is set when the namespace still holds its public `pub` link. A broken VM tap is deleted.
   */
  async function adoptNic(nic: MachineNic, r: NrRecord): Promise<{ adopted: boolean; hasPublic?: boolean }> {
    const { machine } = nic;
    const nrNs = r.info.netns;
    const mns = names.machineNetns(machine);
    // After a node restart a running machine still holds its namespace: keep it when it is intact.
    if (nic.kind === 'veth' && existsSync(`/run/netns/${mns}`)) {
      const shown = await ipIn(mns, '-o', 'addr', 'show', 'dev', 'eth0').catch(() => ({ stdout: '' }));
      const peer = await ipIn(nrNs, '-o', 'link', 'show', 'dev', names.veth(machine)).catch(() => ({ stdout: '' }));
      if (shown.stdout.includes(` ${nic.ip}/${nic.prefixLength} `) && peer.stdout.includes('master br0')) {
        const pub = await ipIn(mns, '-o', 'link', 'show', 'dev', 'pub').catch(() => ({ stdout: '' }));
        log.info('machine interface adopted', { machine });
        return { adopted: true, hasPublic: Boolean(pub.stdout.trim()) };
      }
    }
    // Likewise a VM's tap: qemu (which outlives the node process) holds it open, so it cannot be made again.
    if (nic.kind === 'tap') {
      const tap = names.tap(machine);
      const shown = (await ipIn(nrNs, '-o', 'link', 'show', 'dev', tap).catch(() => ({ stdout: '' }))).stdout;
      if (shown.includes('master br0')) {
        if (!/[<,]UP[,>]/.test(shown)) await ipIn(nrNs, 'link', 'set', tap, 'up');
        Object.assign(nic, { netns: nrNs, ifname: tap });
        log.info('machine interface adopted', { machine, tap });
        return { adopted: true };
      }
      if (shown.trim()) await tryCommand('ip', ['-n', nrNs, 'link', 'del', tap]);
    }
    return { adopted: false };
  }

  /** Makes the NIC on NR `r`: a tap on the bridge for a VM, else the machine namespace, its veth, addresses and routes. */
  async function wireNic(nic: MachineNic, r: NrRecord): Promise<void> {
    const { machine, netns: mns } = nic;
    const nrNs = r.info.netns;
    const gateway = r.info.gateway;
    if (nic.kind === 'tap') {
      // qemu runs inside the NR namespace and opens the tap there; the guest configures its own address and
      // `nic.routes` (vm-qemu.ts passes both on the kernel command line).
      const tap = names.tap(machine);
      await ipIn(nrNs, 'tuntap', 'add', tap, 'mode', 'tap');
      await ipIn(nrNs, 'link', 'set', tap, 'master', 'br0', 'up');
      Object.assign(nic, { netns: nrNs, ifname: tap });
      return;
    }
    await tryCommand('ip', ['netns', 'del', mns]);
    await runCommand('ip', ['netns', 'add', mns]);
    await ipIn(mns, 'link', 'set', 'lo', 'up');
    const v = names.veth(machine);
    await ipIn(nrNs, 'link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', mns, 'address', nic.mac);
    await ipIn(nrNs, 'link', 'set', v, 'master', 'br0', 'up');
    await ipIn(mns, 'addr', 'add', `${nic.ip}/${nic.prefixLength}`, 'dev', 'eth0');
    await ipIn(mns, 'link', 'set', 'eth0', 'up');
    await ipIn(mns, 'route', 'add', 'default', 'via', gateway, 'dev', 'eth0');
    for (const net of nic.routes ?? []) await ipIn(mns, 'route', 'add', net, 'via', gateway, 'dev', 'eth0');
    if (nic.myceliumIp) {
      await ipIn(mns, '-6', 'addr', 'add', `${nic.myceliumIp}/64`, 'dev', 'eth0', 'nodad');
    }
    if (nic.planetaryIp) {
      await ipIn(mns, '-6', 'addr', 'add', `${nic.planetaryIp}/128`, 'dev', 'eth0', 'nodad');
      await ipIn(nrNs, '-6', 'route', 'replace', `${nic.planetaryIp}/128`, 'dev', 'br0');
    }
    if (nic.myceliumIp || nic.planetaryIp) {
      for (const range of OVERLAY_RANGES) await ipIn(mns, '-6', 'route', 'replace', range, 'via', 'fe80::1', 'dev', 'eth0');
      await announce(nic.netId, nic, true);
    }
  }

  return { describeNic, adoptNic, wireNic };
}
