/**
 * The wireguard-go processes of a node's network resources (see linux.ts): started in the node's host namespace
 * with their tun moved into the NR namespace, configured with `wg setconf`, tracked by pid files under `dir`.
 * @module
 */
import { existsSync, openSync, closeSync, promises as fs } from 'fs';
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import { ipIn, isAlive, killPid, runCommand, sleep, spawnDaemon } from '../machine/host-command';
import type { NetworkConfig } from './network';

/** Machine-wide directory of wireguard-go control sockets. */
export const WG_SOCKET_DIR = '/var/run/wireguard';

export function wireguardProcesses(dir: string, host: { hostNetns: string }) {
  async function writeWgConf(ifname: string, cfg: NetworkConfig): Promise<void> {
    const lines = ['[Interface]', `PrivateKey = ${cfg.wgPrivateKey}`, `ListenPort = ${cfg.wgListenPort}`, ''];
    for (const p of cfg.peers) {
      lines.push('[Peer]', `PublicKey = ${p.wgPublicKey}`, `AllowedIPs = ${p.allowedIps.join(', ')}`);
      if (p.endpoint) lines.push(`Endpoint = ${p.endpoint}`, 'PersistentKeepalive = 20');
      lines.push('');
    }
    const file = path.join(dir, `${ifname}.conf`);
    await fs.writeFile(file, lines.join('\n'), { mode: 0o600 });
    try {
      await runCommand('wg', ['setconf', ifname, file]);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  async function startWireguard(ifname: string, nrNs: string): Promise<number> {
    await fs.mkdir(dir, { recursive: true });
    const sock = path.join(WG_SOCKET_DIR, `${ifname}.sock`);
    const stale = await readPid(ifname);
    if (stale) await stopWireguard(ifname, stale); // our own leftover (pid file), e.g. after a crash
    if (existsSync(sock)) throw new ZosError(`wireguard interface ${ifname} already exists on this machine (${sock})`);
    const logFd = openSync(path.join(dir, `${ifname}.log`), 'a');
    let pid: number;
    try {
      pid = spawnDaemon('nsenter', [`--net=/run/netns/${host.hostNetns}`, 'wireguard-go', ifname], {
        logFd,
        env: { ...process.env, WG_PROCESS_FOREGROUND: '1' },
      });
    } finally {
      closeSync(logFd);
    }
    await fs.writeFile(path.join(dir, `${ifname}.pid`), String(pid));
    for (let i = 0; i < 200 && !existsSync(sock); i++) {
      if (!isAlive(pid)) break;
      await sleep(25);
    }
    if (!existsSync(sock)) {
      await killPid(pid);
      const text = await fs.readFile(path.join(dir, `${ifname}.log`), 'utf8').catch(() => '');
      throw new ZosError(`failed to start wireguard-go ${ifname} in ${host.hostNetns}: ${text.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await ipIn(host.hostNetns, 'link', 'set', ifname, 'netns', nrNs);
    return pid;
  }

  async function readPid(ifname: string): Promise<number | undefined> {
    const n = Number((await fs.readFile(path.join(dir, `${ifname}.pid`), 'utf8').catch(() => '')).trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  }

  async function stopWireguard(ifname: string, pid: number): Promise<void> {
    await killPid(pid);
    await fs.rm(path.join(WG_SOCKET_DIR, `${ifname}.sock`), { force: true });
    await fs.rm(path.join(dir, `${ifname}.pid`), { force: true });
  }

  return { writeWgConf, startWireguard, readPid, stopWireguard };
}
