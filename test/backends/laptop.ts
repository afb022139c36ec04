/**
 * A "laptop" for backend tests: a namespace outside the grid that joins a private network with a wg-quick style
 * access config (zos-protocol.md §6.4: the access peer has an empty endpoint on the access node; the laptop
 * dials the node). The namespace hangs off a node's host namespace by a veth; the config itself is read and
 * brought up by the local grid's laptop helpers (local/topology/laptop-wireguard.ts `parseWgQuick`,
 * `joinWgQuick`), as `wg-quick up` would.
 * @module
 */
import { execFileSync } from 'child_process';
import { joinWgQuick, parseWgQuick } from '../../local/topology/laptop-wireguard';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export interface Laptop {
  netns: string;
  ifname: string;
  /** wireguard-go's pid. */
  pid: number;
  remove(): Promise<void>;
}

/**
 * Creates namespace `netns` joined to `hostNetns` by a veth (`192.168.78.2` ↔ `.1`), then brings up `conf`
 * (`[Interface] PrivateKey, Address` + `[Peer] PublicKey, AllowedIPs, Endpoint`) on wireguard-go `ifname`
 * inside it. A config the helpers refuse throws before anything is created; a failure later removes what was.
 */
export async function joinLaptop(netns: string, hostNetns: string, ifname: string, conf: string, dir: string): Promise<Laptop> {
  const config = parseWgQuick(conf);
  const removeLinks = () => {
    ip('netns', 'del', netns);
    try {
      ip('-n', hostNetns, 'link', 'del', 'lap0');
    } catch {
      /* went with the laptop namespace */
    }
  };
  ip('netns', 'add', netns);
  let wg: Awaited<ReturnType<typeof joinWgQuick>>;
  try {
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', 'lap0', 'netns', netns, 'type', 'veth', 'peer', 'name', 'lap0', 'netns', hostNetns);
    ip('-n', netns, 'addr', 'add', '192.168.78.2/24', 'dev', 'lap0');
    ip('-n', hostNetns, 'addr', 'add', '192.168.78.1/24', 'dev', 'lap0');
    ip('-n', netns, 'link', 'set', 'lap0', 'up');
    ip('-n', hostNetns, 'link', 'set', 'lap0', 'up');
    wg = await joinWgQuick(netns, ifname, config, { dir });
  } catch (err) {
    removeLinks();
    throw err;
  }
  return {
    netns,
    ifname,
    pid: wg.pid,
    async remove() {
      await wg.close();
      removeLinks();
    },
  };
}
