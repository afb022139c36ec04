/**
 * Issue 8 "a VM-mode machine boots and answers on its private IP" and "the machine that references [a public IP]
 * is reachable on it from the internet namespace", for a VM, through `examples/zmachine-vm` (config
 * `publicIp: true`) on the shared local grid (zos-protocol.md §6.3 `/boot/vmlinuz` mode; machine.md VMs: qemu TCG
 * under `timeout`, a tap on the network resource's bridge, a second tap wired to the node's uplink for the public
 * IP). One VM boot: the page is fetched from inside node 1's network-resource namespace (never 127.0.0.1) and from a
 * laptop namespace on the grid internet on the public IP. After `destroy` no qemu process, tap or macvlan is left.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nodePrefix } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { isAlive } from '../../node/backends/machine/host-command';
import { machineNames } from '../../node/backends/machine/linux';
import { networkNames } from '../../node/backends/network/linux';
import { netId } from '../../protocol/zos/ids';
import { describeWithTools } from '../helpers/require-tools';
import { ensureE2eGrid, fetchFromLaptop, runE2eExample } from './shared-grid';
import { fetchInNs, sleep } from '../helpers/netns-http';

jest.setTimeout(300_000);

const EXAMPLE = 'zmachine-vm';
// Pinned to node 1: the checks read the VM's files in node 1's data dir (the example picks through the grid proxy otherwise).
const CONFIG = { publicIp: 'true', node: '1' };
/** Laptop slot of this file on the grid internet (parallel files use other slots). */
const LAPTOP_SLOT = 17;

/** Names of the network namespaces that currently have a link called `ifname`, among those starting with `prefix`. */
function namespacesWithLink(prefix: string, ifname: string): string[] {
  const all = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
  return all.filter((ns) => {
    try {
      return execFileSync('ip', ['-n', ns, '-o', 'link', 'show', 'dev', ifname], { encoding: 'utf8', stdio: 'pipe' }).includes(ifname);
    } catch {
      return false;
    }
  });
}

/** The qemu process of a VM: the `timeout` wrapper's pid (qemu.pid) and its only child. */
function qemuProcess(machineDir: string): { wrapper: number; qemu: number | undefined } {
  const wrapper = Number(fs.readFileSync(path.join(machineDir, 'qemu.pid'), 'utf8'));
  const kids = fs.readFileSync(`/proc/${wrapper}/task/${wrapper}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return { wrapper, qemu: kids.length ? Number(kids[0]) : undefined };
}

describeWithTools(['qemu-system-x86_64', 'timeout', 'ip', 'nsenter', 'curl', 'runc', 'wireguard-go'], { root: true })('examples/zmachine-vm boots a VM on the local grid', () => {
  let grid: GridState;
  beforeAll(async () => {
    grid = await ensureE2eGrid();
    if (grid.backend !== 'linux') throw new Error(`the shared e2e grid runs the ${grid.backend} backend; VMs need linux (root)`);
  });

  it('boots the hub VM flist with a public IP, answers on its private IP inside the network and on its public IP from the internet, and leaves no qemu, tap or macvlan after destroy', async () => {
    expect(grid.vmFlist).toBe(`${grid.hub?.url}/tf/vm.flist`);
    let destroyed = false;
    const up = await runE2eExample(grid, EXAMPLE, 'up', CONFIG);
    try {
      const ip = String(up.outputs.privateIp);
      const publicCidr = String(up.outputs.publicIp);
      expect(publicCidr).toMatch(/^198\.18\.1\.\d+\/16$/);
      const publicIp = publicCidr.split('/')[0];
      const machineId = String(up.outputs.machineId);
      expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(machineId).toMatch(/^\d+-\d+-vm$/);
      const node1 = grid.nodes[0];
      const prefix = nodePrefix(grid.prefix, node1.index);
      const twin = Number(machineId.split('-')[0]);
      const nrNs = networkNames(prefix).nrNetns(netId(twin, String(up.outputs.network)));
      const names = networkNames(prefix);
      const tap = names.tap(machineId);
      const publicTap = names.publicTap(machineId);
      const macvlan = names.macvlan(machineId);
      const machineDir = path.join(node1.dataDir, 'machines', machineNames(prefix).dirName(machineId));

      // A VM, not a container: qemu runs the hub's kernel, its NIC is a tap on the network resource's bridge.
      const { wrapper, qemu } = qemuProcess(machineDir);
      expect(qemu).toEqual(expect.any(Number));
      const argv = fs.readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0');
      expect(argv[0]).toMatch(/qemu-system-x86_64$/);
      expect(argv).toContain('-kernel');
      expect(argv[argv.indexOf('-append') + 1]).toContain(`ip=${ip}::`);
      expect(argv[argv.indexOf('-append') + 1]).toContain(`tfgrid_pub=${publicIp}:`);
      expect(argv.join(' ')).toContain(`ifname=${publicTap},`);
      // Both taps and the macvlan carrying the guest's public MAC live in the network resource's namespace.
      for (const dev of [tap, publicTap, macvlan]) expect(namespacesWithLink(grid.prefix, dev)).toEqual([nrNs]);

      const page = await fetchInNs(nrNs, ip, 120_000);
      expect(page).toBe('vm vm\n');
      expect(fs.readFileSync(path.join(machineDir, 'console.log'), 'utf8')).toContain(`VM-READY ${ip}`);
      // The VM has booted: now from a laptop on the grid internet, on the farm IP.
      expect(await fetchFromLaptop(grid, `http://${publicIp}/`, publicIp, LAPTOP_SLOT)).toBe('vm vm\n');

      await runE2eExample(grid, EXAMPLE, 'destroy', CONFIG);
      destroyed = true;
      // The node removes the machine when the deployment is deleted; give its queue a moment.
      for (let i = 0; i < 60 && (isAlive(wrapper) || (qemu !== undefined && isAlive(qemu))); i++) await sleep(500);
      expect(isAlive(wrapper)).toBe(false);
      expect(isAlive(qemu as number)).toBe(false);
      for (const dev of [tap, publicTap, macvlan]) expect(namespacesWithLink(grid.prefix, dev)).toEqual([]);
      expect(fs.existsSync(machineDir)).toBe(false);
    } finally {
      if (!destroyed) await runE2eExample(grid, EXAMPLE, 'destroy', CONFIG).catch(() => undefined);
    }
  });
});
