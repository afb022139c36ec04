/**
 * A "laptop" for backend tests: a namespace outside the grid that joins a private network with a wg-quick style
 * access config (zos-protocol.md §6.4: the access peer has an empty endpoint on the access node; the laptop
 * dials the node). wireguard-go runs in the laptop namespace; `Address` and `AllowedIPs` become the address and
 * routes, as wg-quick would do.
 * @module
 */
import { execFileSync, spawn } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { killPid } from '../../node/backends/machine/host-command';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export interface Laptop {
  netns: string;
  ifname: string;
  pid: number;
  remove(): Promise<void>;
}

/**
 * Creates namespace `netns` joined to `hostNetns` by a veth (`192.168.78.2` ↔ `.1`), then applies `conf`
 * (`[Interface] PrivateKey, Address` + `[Peer] PublicKey, AllowedIPs, Endpoint`).
 */
export async function joinLaptop(netns: string, hostNetns: string, ifname: string, conf: string, dir: string): Promise<Laptop> {
  ip('netns', 'add', netns);
  ip('-n', netns, 'link', 'set', 'lo', 'up');
  ip('link', 'add', 'lap0', 'netns', netns, 'type', 'veth', 'peer', 'name', 'lap0', 'netns', hostNetns);
  ip('-n', netns, 'addr', 'add', '192.168.78.2/24', 'dev', 'lap0');
  ip('-n', hostNetns, 'addr', 'add', '192.168.78.1/24', 'dev', 'lap0');
  ip('-n', netns, 'link', 'set', 'lap0', 'up');
  ip('-n', hostNetns, 'link', 'set', 'lap0', 'up');
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'wireguard-go', ifname], { env: { ...process.env, WG_PROCESS_FOREGROUND: '1' }, stdio: 'ignore', detached: true });
  child.unref();
  const pid = child.pid as number;
  for (let i = 0; i < 200 && !existsSync(`/var/run/wireguard/${ifname}.sock`); i++) await new Promise((r) => setTimeout(r, 25));
  const addresses: string[] = [];
  const routes: string[] = [];
  const kept: string[] = [];
  for (const line of conf.split('\n')) {
    const m = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(line);
    if (m?.[1] === 'Address') addresses.push(...m[2].split(',').map((s) => s.trim()));
    else if (m?.[1] === 'DNS' || m?.[1] === 'MTU') continue;
    else {
      if (m?.[1] === 'AllowedIPs') routes.push(...m[2].split(',').map((s) => s.trim()));
      kept.push(line);
    }
  }
  const file = path.join(dir, `${ifname}.conf`);
  await fs.writeFile(file, kept.join('\n'), { mode: 0o600 });
  execFileSync('wg', ['setconf', ifname, file]);
  for (const a of addresses) ip('-n', netns, 'addr', 'add', a, 'dev', ifname);
  ip('-n', netns, 'link', 'set', ifname, 'up');
  for (const r of routes) ip('-n', netns, 'route', 'replace', r, 'dev', ifname);
  return {
    netns,
    ifname,
    pid,
    async remove() {
      await killPid(pid);
      await fs.rm(`/var/run/wireguard/${ifname}.sock`, { force: true });
      ip('netns', 'del', netns);
      try {
        ip('-n', hostNetns, 'link', 'del', 'lap0');
      } catch {
        /* went with the laptop namespace */
      }
    },
  };
}
