/**
 * Private IPv4 allocation for machines, without collisions (DESIGN.md §4 "Networks", zos-protocol.md §6.2):
 * the node is asked which IPs the twin already uses on a network (`zos.network.list_private_ips`), and an
 * in-process reservation per (node, network) covers machines being created in parallel in this process. IPs
 * .0, .1 (the node's gateway) and .255 are never handed out. A machine that is replaced (delete-before-replace:
 * the old workload is removed first, in the same provider process) gets the IP its predecessor released, when
 * it is still free in the same subnet: replacing a machine does not move its private IP (issue 18.7).
 * @module
 */
import { InputError } from '../protocol/common/errors';

export interface IpAllocator {
  /**
   * Picks the lowest free host of `subnet` (a /24) not in `used` and not reserved here, or checks `pinned`;
   * the IP stays reserved until `release`. `owner` (a machine's deployment/name) first gets back the IP it
   * released last on this node and network, when that one is free and in `subnet`.
   */
  allocate(node: number, network: string, subnet: string, used: string[], pinned?: string, owner?: string): string;
  /** Frees `ip`; with `owner`, remembers it for that owner's next `allocate` (its replacement). */
  release(node: number, network: string, ip: string, owner?: string): void;
}

export function parseV4(ip: string): number[] | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const n = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return n.every((x) => x >= 0 && x <= 255) ? n : undefined;
}

/** `10.20.2.0/24` → `[10, 20, 2]`, or undefined when not an IPv4 /24. */
export function subnetPrefix24(subnet: string): number[] | undefined {
  const [addr, len] = subnet.split('/');
  const a = parseV4(addr ?? '');
  return a && len === '24' ? a.slice(0, 3) : undefined;
}

export function createIpAllocator(): IpAllocator {
  const reserved = new Map<string, Set<string>>();
  /** `<node>/<network>/<owner>` → the IP the owner released last. */
  const released = new Map<string, string>();
  const setOf = (node: number, network: string) => {
    const k = `${node}/${network}`;
    let s = reserved.get(k);
    if (!s) reserved.set(k, (s = new Set()));
    return s;
  };
  return {
    allocate(node, network, subnet, used, pinned, owner) {
      const prefix = subnetPrefix24(subnet);
      if (!prefix) throw new InputError(`network "${network}": subnet ${subnet} of node ${node} is not an IPv4 /24`, { node });
      const taken = setOf(node, network);
      if (pinned) {
        const p = parseV4(pinned);
        if (!p || p.slice(0, 3).join('.') !== prefix.join('.')) {
          throw new InputError(`ip ${pinned} is not part of node ${node}'s subnet ${subnet} of network "${network}"`, {
            path: 'ip',
            fix: `pick an address in ${prefix.join('.')}.2–${prefix.join('.')}.254 or leave ip unset`,
          });
        }
        if (p[3] < 2 || p[3] > 254) throw new InputError(`ip ${pinned} is reserved (.0, .1 and .255 are not for machines)`, { path: 'ip', fix: 'use .2–.254' });
        if (used.includes(pinned) || taken.has(pinned))
          throw new InputError(`ip ${pinned} is already used on network "${network}" on node ${node}`, { path: 'ip', fix: 'pick another address or leave ip unset' });
        taken.add(pinned);
        return pinned;
      }
      const back = owner !== undefined ? released.get(`${node}/${network}/${owner}`) : undefined;
      if (back !== undefined) {
        released.delete(`${node}/${network}/${owner}`);
        if (parseV4(back)?.slice(0, 3).join('.') === prefix.join('.') && !used.includes(back) && !taken.has(back)) {
          taken.add(back);
          return back;
        }
      }
      for (let host = 2; host <= 254; host++) {
        const ip = `${prefix.join('.')}.${host}`;
        if (!used.includes(ip) && !taken.has(ip)) {
          taken.add(ip);
          return ip;
        }
      }
      throw new InputError(`network "${network}" has no free address left in ${subnet} on node ${node}`, { node, fix: 'spread machines over more nodes' });
    },
    release(node, network, ip, owner) {
      setOf(node, network).delete(ip);
      if (owner !== undefined) released.set(`${node}/${network}/${owner}`, ip);
    },
  };
}
