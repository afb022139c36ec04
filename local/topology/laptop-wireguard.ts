/**
 * A laptop joins a private network with a wg-quick file (zos-protocol.md §6.4 "user access peer"; DESIGN.md §4
 * "Local grid topology"): `parseWgQuick` reads the file a `Network` with `addWgAccess` outputs as
 * `accessConfig`, and `joinWgQuick` brings it up inside a namespace the way `wg-quick up` would on a real
 * laptop: wireguard-go runs inside that namespace (so its UDP socket dials the access node's public endpoint
 * from there), `wg setconf` gets the WireGuard keys, and every `Address` and `AllowedIPs` becomes an address
 * and a route on the interface.
 *
 *   const laptop = await createLaptop(plan, 20);                       // on the grid's internet
 *   const wg = await joinWgQuick(laptop.netns, `${plan.prefix}lw20`, accessConfig, { dir });
 *   await execInNamespace(laptop.netns, 'curl', ['http://10.30.2.2:8080/']);
 *   await wg.close();                                                  // wireguard-go (by pid), its socket
 *   await removeLaptop(laptop);
 *
 * Not supported (a wg-quick file from our provider never has them): hook commands (`PreUp`…), `Table`,
 * `SaveConfig`, and default routes (`0.0.0.0/0` needs wg-quick's policy routing); they are refused by name.
 * `DNS` is parsed but not applied (a namespace has no resolver of its own).
 * @module
 */
import { closeSync, existsSync, openSync, promises as fs } from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { InputError, TfgridError } from '../../protocol/common/errors';
import { isAlive, killPid, sleep, spawnDaemon } from '../../node/backends/machine/host-command';
import { assertIfName, runCommand, type CommandRunner } from './command';

/** Where wireguard-go puts its control socket (machine-wide: interface names must be unique per machine). */
export const WG_SOCKET_DIR = '/var/run/wireguard';

const wgKey = z.string().refine((k) => /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(k), 'is not a base64 WireGuard key (32 bytes)');
const cidr = z.string().refine((c) => /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/.test(c), 'is not an address/prefix');
const address = z.string().refine((a) => /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)(\/\d{1,3})?$/.test(a), 'is not an address (optionally /prefix)');
const endpoint = z.string().refine((e) => /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(e), 'is not host:port ([v6]:port for IPv6)');

export const wgQuickPeerSchema = z.object({
  publicKey: wgKey,
  presharedKey: wgKey.optional(),
  allowedIps: z.array(cidr).min(1, 'needs AllowedIPs'),
  endpoint: endpoint.optional(),
  persistentKeepalive: z.number().int().min(0).max(65535).optional(),
});

export const wgQuickSchema = z.object({
  privateKey: wgKey,
  addresses: z.array(address).min(1, 'needs an Address'),
  listenPort: z.number().int().min(1).max(65535).optional(),
  mtu: z.number().int().min(576).max(65535).optional(),
  dns: z.array(z.string()),
  peers: z.array(wgQuickPeerSchema).min(1, 'needs a [Peer]'),
});
export type WgQuickConfig = z.infer<typeof wgQuickSchema>;
export type WgQuickPeer = z.infer<typeof wgQuickPeerSchema>;

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const UNSUPPORTED = ['PreUp', 'PostUp', 'PreDown', 'PostDown', 'Table', 'SaveConfig', 'FwMark'];

/**
 * Parses a wg-quick file (`[Interface]` then `[Peer]` sections, `Key = value`, `#` comments; keys are
 * case-insensitive as in wg-quick). Throws InputError naming the line for anything it cannot apply.
 */
export function parseWgQuick(text: string): WgQuickConfig {
  type Draft = { [k: string]: unknown };
  const iface: Draft = { addresses: [], dns: [] };
  const peers: Draft[] = [];
  let section: Draft | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    const where = `wg-quick line ${i + 1}`;
    if (!line) return;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      const name = head[1].toLowerCase();
      if (name === 'interface') section = iface;
      else if (name === 'peer') peers.push((section = { allowedIps: [] }));
      else throw new InputError(`${where}: unknown section [${head[1]}]; use [Interface] or [Peer]`);
      return;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new InputError(`${where}: "${raw.trim()}" is not "Key = value"`);
    if (!section) throw new InputError(`${where}: ${kv[1]} comes before [Interface]`);
    const key = kv[1].toLowerCase();
    const value = kv[2].trim();
    const unsupported = UNSUPPORTED.find((u) => u.toLowerCase() === key);
    if (unsupported) throw new InputError(`${where}: ${unsupported} is not supported by the laptop helper`);
    const num = () => {
      if (!/^\d+$/.test(value)) throw new InputError(`${where}: ${kv[1]} "${value}" is not a number`);
      return Number(value);
    };
    const isIface = section === iface;
    const known: Record<string, () => void> = isIface
      ? {
          privatekey: () => (iface.privateKey = value),
          address: () => (iface.addresses as string[]).push(...list(value)),
          listenport: () => (iface.listenPort = num()),
          mtu: () => (iface.mtu = num()),
          dns: () => (iface.dns as string[]).push(...list(value)),
        }
      : {
          publickey: () => (section!.publicKey = value),
          presharedkey: () => (section!.presharedKey = value),
          allowedips: () => (section!.allowedIps as string[]).push(...list(value)),
          endpoint: () => (section!.endpoint = value),
          persistentkeepalive: () => (section!.persistentKeepalive = value === 'off' ? 0 : num()),
        };
    const set = known[key];
    if (!set) throw new InputError(`${where}: ${kv[1]} does not belong in [${isIface ? 'Interface' : 'Peer'}]`);
    set();
  });
  const r = wgQuickSchema.safeParse({ ...iface, peers });
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.path.length ? issue.path.join('.') : 'file';
    throw new InputError(`wg-quick ${at}: ${issue.message}`, { path: at });
  }
  for (const p of r.data.peers) {
    const all = p.allowedIps.find((a) => /\/0$/.test(a));
    if (all) throw new InputError(`wg-quick AllowedIPs ${all}: a default route needs wg-quick's policy routing, which the laptop helper does not do`);
  }
  return r.data;
}

/** The `wg setconf` part of a config (wg(8) format: keys, port and peers; no addresses). */
export function wgSetconfText(cfg: WgQuickConfig): string {
  const out = ['[Interface]', `PrivateKey = ${cfg.privateKey}`];
  if (cfg.listenPort) out.push(`ListenPort = ${cfg.listenPort}`);
  for (const p of cfg.peers) {
    out.push('', '[Peer]', `PublicKey = ${p.publicKey}`, `AllowedIPs = ${p.allowedIps.join(', ')}`);
    if (p.presharedKey) out.push(`PresharedKey = ${p.presharedKey}`);
    if (p.endpoint) out.push(`Endpoint = ${p.endpoint}`);
    if (p.persistentKeepalive) out.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  }
  return out.join('\n') + '\n';
}

export interface WgQuickLink {
  netns: string;
  ifname: string;
  /** wireguard-go's pid (stopped by `close`). */
  pid: number;
  config: WgQuickConfig;
  /** Stops wireguard-go by pid and removes its control socket (the interface goes with the process). */
  close(): Promise<void>;
}

export interface JoinWgQuickOptions {
  /** Scratch directory for the `wg setconf` file (0600, removed right after) and wireguard-go's log. */
  dir: string;
  run?: CommandRunner;
}

/**
 * `wg-quick up` inside namespace `netns`: wireguard-go `ifname` started there, keys and peers set, every
 * Address added, MTU set, the link up and a route per AllowedIPs. On failure nothing is left running.
 */
export async function joinWgQuick(netns: string, ifname: string, conf: string | WgQuickConfig, opts: JoinWgQuickOptions): Promise<WgQuickLink> {
  assertIfName(ifname);
  const run = opts.run ?? runCommand;
  const config = typeof conf === 'string' ? parseWgQuick(conf) : wgQuickSchema.parse(conf);
  const sock = path.join(WG_SOCKET_DIR, `${ifname}.sock`);
  if (existsSync(sock)) throw new InputError(`wireguard interface ${ifname} already exists on this machine (${sock}); pick another name`);
  await fs.mkdir(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, `${ifname}.log`);
  const logFd = openSync(logFile, 'a');
  let pid: number;
  try {
    pid = spawnDaemon('nsenter', [`--net=/run/netns/${netns}`, 'wireguard-go', ifname], { logFd, env: { ...process.env, WG_PROCESS_FOREGROUND: '1' } });
  } finally {
    closeSync(logFd);
  }
  const close = async () => {
    await killPid(pid);
    await fs.rm(sock, { force: true });
  };
  try {
    for (let i = 0; i < 200 && !existsSync(sock) && isAlive(pid); i++) await sleep(25);
    if (!existsSync(sock)) {
      const text = await fs.readFile(logFile, 'utf8').catch(() => '');
      throw new TfgridError(`wireguard-go ${ifname} in ${netns} did not start: ${text.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const file = path.join(opts.dir, `${ifname}.conf`);
    await fs.writeFile(file, wgSetconfText(config), { mode: 0o600 });
    try {
      await run('wg', ['setconf', ifname, file]);
    } finally {
      await fs.rm(file, { force: true });
    }
    for (const a of config.addresses) await run('ip', ['-n', netns, 'addr', 'add', a, 'dev', ifname]);
    if (config.mtu) await run('ip', ['-n', netns, 'link', 'set', ifname, 'mtu', String(config.mtu)]);
    await run('ip', ['-n', netns, 'link', 'set', ifname, 'up']);
    for (const p of config.peers) for (const r of p.allowedIps) await run('ip', ['-n', netns, r.includes(':') ? '-6' : '-4', 'route', 'replace', r, 'dev', ifname]);
  } catch (err) {
    await close();
    throw err;
  }
  return { netns, ifname, pid, config, close };
}
