/**
 * zmachine / zmachine-light manager: flist → disks → private interface → public IP → machine, through
 * `backends.{flist,storage,network,machine}` (a VM's public IP rides on its NIC as `public`: qemu's second NIC).
 * Provision-time checks and texts: zos-protocol.md §6.2
 * (mounts, public ip, private network), §6.3 (modes, GPU), §6.1 (cpu); result: §4.
 */
import type { MachineMount } from '../../backends/machine/machine';
import { rootSize, type ZMachineData, type ZMachineLightData } from '../../../protocol/zos/types';
import { consoleTail } from '../../backends/machine/console-tail';
import type { FieldHandling, Manager, ManagerContext, WorkloadFailure } from './manager';

/** A full or a light machine: the light one has no public IP and no planetary (zos-protocol.md §1.5). */
type MachineData = ZMachineData | ZMachineLightData;

/**
 * What this manager does with each field of a machine's data (`FieldHandling`): a field the zmachine schema adds
 * fails the build here until the node handles it.
 */
export const MACHINE_DATA_HANDLING = {
  flist: 'resolved through backends.flist; its kind picks container or VM mode',
  network: 'the private interface, mycelium seed and planetary through backends.network; the public IP workload attached as a second NIC',
  size: 'the root filesystem size (rootSize: at least the ZOS minimum)',
  compute_capacity: 'cpu (checked against the node) and memory of the machine',
  mounts: 'disks (zmount, volume) and qsfs mounted at their mountpoints; the boot disk in VM-image mode',
  entrypoint: 'the command the machine runs',
  env: 'the environment of the machine',
  corex: 'runs corex in the machine',
  gpu: 'refused unless the node is rented (ZOS); the machine backends have no GPUs to pass through',
} as const satisfies FieldHandling<MachineData>;

/** The public IP workload's name and the planetary flag, which only a full machine's network has. */
function fullNetwork(d: MachineData): { public_ip: string; planetary: boolean } {
  return 'public_ip' in d.network ? d.network : { public_ip: '', planetary: false };
}

const ipv4Int = (ip: string): number | undefined => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
};

/** primitives/vm/utils.go `newPrivNetworkInterface` checks, with ZOS's texts. */
export function checkPrivateIp(ip: string, subnet: string): string | undefined {
  const v = ipv4Int(ip);
  if (v === undefined) return 'invalid IPv4 supplied to wg interface';
  const [net, lenText] = subnet.split('/');
  const base = ipv4Int(net) ?? 0;
  const len = Number(lenText ?? 24);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((v & mask) >>> 0 !== (base & mask) >>> 0) return `IP ${ip} is not part of local nr subnet ${subnet}`;
  if ((v & 0xff) === 1) return `ip ${ip} is reserved`;
  return undefined;
}

async function mountsFor(ctx: ManagerContext, d: MachineData, vmMode: boolean): Promise<MachineMount[]> {
  const out: MachineMount[] = [];
  for (const m of d.mounts) {
    const wl = ctx.workloads.find((w) => w.name === m.name);
    if (!wl) throw new Error(`failed to get mount '${m.name}' workload: workload not found`);
    if (wl.state !== 'ok') throw new Error(`invalid disk '${m.name}' state`);
    const diskId = `${ctx.twinId}-${ctx.contractId}-${m.name}`;
    if (wl.type === 'zmount' || wl.type === 'volume') {
      if (vmMode) {
        const info = await ctx.backends.storage.get(diskId);
        if (!info) throw new Error(`failed to get mount '${m.name}' workload: disk not found`);
        out.push({ source: info.image, target: m.mountpoint, disk: true });
      } else {
        out.push({ source: await ctx.backends.storage.mount(diskId), target: m.mountpoint });
      }
    } else if (wl.type === 'qsfs') {
      const path = (wl.resultData as { path?: string } | null)?.path;
      if (!path) throw new Error(`invalid disk '${m.name}' state`);
      out.push({ source: path, target: m.mountpoint });
    } else {
      throw new Error(`expecting a reservation of type 'zmount' or 'qsfs' for disk '${m.name}'`);
    }
  }
  return out;
}

/**
 * The result message of a machine that stopped on its own (zosbase vm monitor fails such a workload with the
 * reason it could not be kept running): `vm is not running: <backend reason>`.
 */
export function machineDiedMessage(state: 'oom-killed' | 'exited', reason?: string, exitCode?: number): string {
  return `vm is not running: ${machineDiedReason(state, reason, exitCode)}`;
}

function machineDiedReason(state: 'oom-killed' | 'exited', reason?: string, exitCode?: number): string {
  return reason || (state === 'oom-killed' ? 'machine exceeded its memory limit and was killed' : `machine exited with code ${exitCode ?? 'unknown'}`);
}

/**
 * Other running machines of the deployment that mount disk `name`. ZOS lets several machines mount one disk (primitives/vm
 * `vmMounts` attaches it to each, with no check), so a machine that goes away leaves a disk mounted while they use it.
 */
function othersMounting(ctx: ManagerContext, name: string): boolean {
  return ctx.workloads.some(
    (w) => w.name !== ctx.name && (w.type === 'zmachine' || w.type === 'zmachine-light') && (w.state === 'ok' || w.state === 'paused') && w.data.mounts.some((m) => m.name === name),
  );
}

async function cleanup(ctx: ManagerContext, d: MachineData): Promise<void> {
  await ctx.backends.machine.remove(ctx.wid);
  await ctx.backends.network.detach(ctx.wid);
  for (const m of d.mounts) {
    const wl = ctx.workloads.find((w) => w.name === m.name);
    if (wl && (wl.type === 'zmount' || wl.type === 'volume') && !othersMounting(ctx, m.name)) {
      await ctx.backends.storage.unmount(`${ctx.twinId}-${ctx.contractId}-${m.name}`).catch(() => undefined);
    }
  }
}

export const zmachineManager: Manager<'zmachine' | 'zmachine-light'> = {
  async provision(ctx, d) {
    const cpu = d.compute_capacity.cpu;
    const maxCpu = Number(ctx.facts.total.cru);
    if (cpu < 1 || cpu > maxCpu) throw new Error(`invalid cpu must be between 1 and ${maxCpu}`);
    if (d.gpu.length > 0 && !(await ctx.chain.nodeRented?.())) {
      throw new Error('usage of GPU is not allowed unless node is rented');
    }
    const flist = await ctx.backends.flist.resolve(d.flist);
    const vmMode = flist.mode !== 'container';
    if (flist.mode === 'vm-image') {
      const first = d.mounts[0];
      if (!first) throw new Error('at least one mount has to be attached for Vm mode');
      const wl = ctx.workloads.find((w) => w.name === first.name);
      if (!wl || wl.type !== 'zmount') throw new Error('mount is not a valid disk workload');
      if (wl.state !== 'ok') throw new Error('boot disk was not deployed correctly');
    }
    for (const m of d.mounts) if (m.mountpoint === '/') throw new Error(`invalid mount point '${m.mountpoint}' for disk '${m.name}'`);

    const iface = d.network.interfaces[0];
    const nr = await ctx.backends.network.get(ctx.netId(iface.network));
    if (!nr) throw new Error(`could not get network resource subnet: network '${iface.network}' not found`);
    const bad = checkPrivateIp(iface.ip, nr.subnet);
    if (bad) throw new Error(bad);

    const { public_ip: publicIpName, planetary } = fullNetwork(d);
    let publicIp: { ip: string; ip6: string; gateway: string } | undefined;
    if (publicIpName) {
      const pip = ctx.workloads.find((w) => w.name === publicIpName);
      if (!pip) throw new Error('public ip is not found');
      if (pip.type !== 'ip' && pip.type !== 'ipv4') throw new Error('workload for public IP is of wrong type');
      if (pip.state !== 'ok') throw new Error(`public ip workload '${pip.name}' is not in ok state`);
      if (!ctx.facts.publicConfig) throw new Error('public ipv4 is requested, but not supported on this node');
      publicIp = (pip.resultData ?? { ip: '', ip6: '', gateway: '' }) as { ip: string; ip6: string; gateway: string };
    }

    try {
      const mounts = await mountsFor(ctx, d, vmMode);
      const attachReq = {
        netId: nr.netId,
        machine: ctx.wid,
        ip: iface.ip,
        kind: vmMode ? ('tap' as const) : ('veth' as const),
        myceliumSeed: d.network.mycelium?.hex_seed || undefined,
        planetary,
      };
      let nic = await ctx.backends.network.attach(attachReq);
      if (publicIp && (publicIp.ip || publicIp.ip6)) {
        await ctx.backends.network.attachPublicIp({ machine: ctx.wid, ip: publicIp.ip, gateway: publicIp.gateway, ip6: publicIp.ip6 || undefined });
        // a VM's public IP is a second NIC (a tap qemu opens): attach again (idempotent) returns the NIC carrying it
        if (vmMode) nic = await ctx.backends.network.attach(attachReq);
      }
      await ctx.backends.machine.run({
        id: ctx.wid,
        name: ctx.name,
        flist,
        cpu,
        memory: d.compute_capacity.memory,
        entrypoint: d.entrypoint,
        env: d.env,
        mounts,
        nic,
        corex: d.corex,
        rootSize: rootSize(d),
      });
      const octet = Number(iface.ip.split('.')[3]);
      const netAddr = nr.subnet.split('/')[0].split('.').slice(0, 3).join('.') + '.0';
      return {
        id: ctx.wid,
        ip: iface.ip,
        planetary_ip: nic.planetaryIp ?? '',
        mycelium_ip: nic.myceliumIp ?? '',
        console_url: `${netAddr}:${20000 + octet}`,
      };
    } catch (err) {
      await cleanup(ctx, d).catch(() => undefined);
      throw err;
    }
  },
  async deprovision(ctx, data) {
    await cleanup(ctx, data);
  },
  async health(ctx): Promise<WorkloadFailure | undefined> {
    const st = await ctx.backends.machine.status(ctx.wid);
    if (!st || (st.state !== 'oom-killed' && st.state !== 'exited')) return undefined;
    // ZOS restarts a VM that stopped (vm monitor). A ZOS VM never stops for exceeding its memory (the guest's own
    // OOM killer acts inside it); our container is killed whole by its memory cgroup, and would be again: final.
    const console = consoleTail(await ctx.backends.machine.logs(ctx.wid, 16 * 1024).catch(() => ''));
    return {
      message: machineDiedMessage(st.state, st.reason, st.exitCode),
      reason: machineDiedReason(st.state, st.reason, st.exitCode),
      restartable: st.state === 'exited',
      console,
    };
  },
  async restart(ctx) {
    await ctx.backends.machine.restart(ctx.wid);
  },
  pause: (ctx) => ctx.backends.machine.pause(ctx.wid),
  resume: (ctx) => ctx.backends.machine.resume(ctx.wid),
};
