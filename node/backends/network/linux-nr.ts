/**
 * A network resource (NR) on Linux (see linux.ts's header; zos-protocol.md §6.2): namespace `<p>-nr-<netId>` with
 * bridge `br0` on the /24's `.1`, the subnet's `.0` on `lo` (console_url), wireguard-go's tun with `100.64.b.c/16`
 * and a route for the whole ip_range, the mycelium /64 on the bridge and the overlay link to the host namespace.
 * After a node restart an intact NR (namespace, live wireguard-go, both addresses) is adopted instead of rebuilt.
 * @module
 */
import { existsSync } from 'fs';
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { inNetns, ipIn, isAlive, runCommand, tryCommand } from '../machine/host-command';
import { myceliumPrefix, parseCidr4 } from './addressing';
import type { NetworkNames } from './linux-names';
import type { overlayRouting } from './linux-overlay';
import type { wireguardProcesses } from './linux-wireguard';
import { NETWORK_ERRORS, gatewayFor, networkConfigSchema, wgIpFor } from './network';
import type { NetworkConfig, NetworkInfo } from './network';

/** One NR this node runs. */
export interface NrRecord {
  config: NetworkConfig;
  info: NetworkInfo;
  wgPid: number;
}

/** Parses an NR config and refuses what cannot be built here: a bad subnet or IP range, a port another NR listens on. */
export function checkNrConfig(config: unknown, nrs: Map<string, NrRecord>): NetworkConfig {
  const cfg = networkConfigSchema.parse(config);
  if (!parseCidr4(cfg.subnet)) throw new ZosError(`invalid network resource subnet '${cfg.subnet}'`);
  if (!parseCidr4(cfg.ipRange)) throw new ZosError(`invalid network IP range '${cfg.ipRange}'`);
  for (const [id, r] of nrs) {
    if (id !== cfg.netId && r.config.wgListenPort === cfg.wgListenPort) {
      throw new ZosError(NETWORK_ERRORS.portInUse, { nodeMessage: NETWORK_ERRORS.portInUse });
    }
  }
  return cfg;
}

/** What callers see of an NR built from `cfg`. */
function nrInfo(cfg: NetworkConfig, ns: string): NetworkInfo {
  return {
    netId: cfg.netId,
    subnet: cfg.subnet,
    ipRange: cfg.ipRange,
    gateway: gatewayFor(cfg.subnet),
    wgIp: wgIpFor(cfg.subnet),
    wgListenPort: cfg.wgListenPort,
    netns: ns,
    ...(cfg.mycelium ? { myceliumPrefix: myceliumPrefix(cfg.mycelium.hexKey) } : {}),
  };
}

export function networkResources(names: NetworkNames, wireguard: ReturnType<typeof wireguardProcesses>, connectOverlay: ReturnType<typeof overlayRouting>['connectOverlay'], log: Logger) {
  const { writeWgConf, startWireguard, readPid, stopWireguard } = wireguard;

  /** After a node restart: take over an NR this node built before (namespace + live wireguard-go), if intact. */
  async function adoptNr(cfg: NetworkConfig): Promise<NrRecord | undefined> {
    const ns = names.nrNetns(cfg.netId);
    const wg = names.wg(cfg.netId);
    const pid = await readPid(wg);
    if (!pid || !isAlive(pid) || !existsSync(`/run/netns/${ns}`)) return undefined;
    const link = await ipIn(ns, '-o', 'addr', 'show', 'dev', wg).catch(() => ({ stdout: '' }));
    if (!link.stdout.includes(` ${wgIpFor(cfg.subnet)} `)) return undefined;
    const br = await ipIn(ns, '-o', 'addr', 'show', 'dev', 'br0').catch(() => ({ stdout: '' }));
    if (!br.stdout.includes(` ${gatewayFor(cfg.subnet)}/`)) return undefined;
    const info = nrInfo(cfg, ns);
    await writeWgConf(wg, cfg);
    await ipIn(ns, 'route', 'replace', cfg.ipRange, 'dev', wg);
    log.info('network resource adopted', { netId: cfg.netId });
    return { config: cfg, info, wgPid: pid };
  }

  /** Builds the NR from scratch (a leftover of a crash is deleted first); a failure leaves nothing behind. */
  async function createNr(cfg: NetworkConfig): Promise<NrRecord> {
    const ns = names.nrNetns(cfg.netId);
    const wg = names.wg(cfg.netId);
    const gw = gatewayFor(cfg.subnet);
    const info = nrInfo(cfg, ns);
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

  return { adoptNr, createNr };
}
