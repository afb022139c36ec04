/**
 * A two-node private network for backend tests (zos-protocol.md §6.4): two "host" namespaces joined by a veth
 * underlay (as the local grid's internet joins nodes), a Linux NetworkBackend per node, one NR each with the
 * other as WireGuard peer, the access conventions of TS (peer allowed_ips = subnet + 100.64.b.c/32).
 * @module
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLinuxNetwork } from '../../node/backends/network/linux';
import { networkId } from '../../node/backends/network/network';
import type { NetworkBackend, NetworkConfig, NetworkInfo } from '../../node/backends/network/network';
import { wgKeyPair } from '../../node/backends/network/network.suite';

export interface TwoNodeNetwork {
  tag: string;
  nodes: { prefix: string; hostNetns: string; underlay: string; backend: NetworkBackend; nr: NetworkInfo; config: NetworkConfig }[];
  netId: string;
  dir: string;
  teardown(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** `tag`: 1..4 chars, unique per test file (names become `<tag><pid36><a|b>`). */
export async function makeTwoNodeNetwork(tag: string, opts: { mycelium?: boolean } = {}): Promise<TwoNodeNetwork> {
  const base = `${tag}${(process.pid % 1296).toString(36)}`.slice(0, 5);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-2n-'));
  const netId = networkId(7, 'net1');
  const keys = [wgKeyPair(), wgKeyPair()];
  const ports = [21000 + (process.pid % 1000), 22000 + (process.pid % 1000)];
  const nodes: TwoNodeNetwork['nodes'] = [];
  const hosts = ['a', 'b'].map((s) => `${base}${s}-host`);
  for (const h of hosts) {
    ip('netns', 'add', h);
    ip('-n', h, 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', 'up0', 'netns', hosts[0], 'type', 'veth', 'peer', 'name', 'up0', 'netns', hosts[1]);
  const underlay = ['192.168.77.1', '192.168.77.2'];
  for (let i = 0; i < 2; i++) {
    ip('-n', hosts[i], 'addr', 'add', `${underlay[i]}/24`, 'dev', 'up0');
    ip('-n', hosts[i], 'link', 'set', 'up0', 'up');
  }
  const subnets = ['10.20.2.0/24', '10.20.3.0/24'];
  for (let i = 0; i < 2; i++) {
    const prefix = `${base}${'ab'[i]}`;
    const backend = createLinuxNetwork({ host: { prefix, hostNetns: hosts[i], uplink: 'up0' }, dir: path.join(dir, prefix) });
    const j = 1 - i;
    const [, b, c] = subnets[j].split('.');
    const config: NetworkConfig = {
      netId,
      ipRange: '10.20.0.0/16',
      subnet: subnets[i],
      wgPrivateKey: keys[i].privateKey,
      wgListenPort: ports[i],
      peers: [{ subnet: subnets[j], wgPublicKey: keys[j].publicKey, allowedIps: [subnets[j], `100.64.${b}.${c}/32`], endpoint: `${underlay[j]}:${ports[j]}` }],
      ...(opts.mycelium ? { mycelium: { hexKey: `${i}`.repeat(64) } } : {}),
    };
    const nr = await backend.apply(config);
    nodes.push({ prefix, hostNetns: hosts[i], underlay: underlay[i], backend, nr, config });
  }
  return {
    tag: base,
    nodes,
    netId,
    dir,
    async teardown() {
      for (const n of nodes) await n.backend.close();
      for (const h of hosts) ip('netns', 'del', h);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** `ping -c 1` from inside a namespace, retried (WireGuard handshakes take a moment); true when a reply came. */
export async function pingFrom(netns: string, target: string, tries = 20): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      execFileSync('nsenter', [`--net=/run/netns/${netns}`, 'ping', '-c', '1', '-W', '1', target], { stdio: 'pipe' });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}
