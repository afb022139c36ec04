/**
 * Go `net` parsing and printing of IPs and CIDRs, as the node does them (zos-protocol.md §0.1, §2.1):
 * `net.ParseIP`, `net.ParseCIDR` (host bits kept, gridtypes.IPNet), `net.IP.String()`, `net.IPNet.String()`.
 * Canonical output: dotted quad for IPv4 and IPv4-mapped IPv6, lowercase IPv6 with the first longest run
 * (≥ 2 groups) of zero groups compressed, `<nil>` for an empty address or network.
 * @module
 */

/** A parsed Go IP: 16 bytes (Go keeps IPv4 in IPv4-in-IPv6 form after parsing). */
export type GoIP = Uint8Array;

/** A parsed gridtypes.IPNet: the address as given (not masked) and the mask length in bits of a 4- or 16-byte mask. */
export interface GoIPNet {
  readonly ip: GoIP;
  readonly maskBits: number;
  readonly maskLen: 4 | 16;
}

const V4_IN_V6_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Go `parseIPv4`: exactly four decimal fields 0..255, no leading zeros (Go ≥ 1.17). */
function parseIPv4(s: string): GoIP | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(16);
  out.set(V4_IN_V6_PREFIX);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    if (p.length > 1 && p[0] === '0') return null;
    const n = Number(p);
    if (n > 255) return null;
    out[12 + i] = n;
  }
  return out;
}

/** Go `parseIPv6`: hex groups of 1..4 digits, one `::`, an optional trailing dotted quad. */
function parseIPv6(input: string): GoIP | null {
  const ip = new Uint8Array(16);
  let s = input;
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return ip;
  }
  let i = 0;
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(s);
    if (!m) return null;
    const c = m[0].length;
    if (c < s.length && /[0-9a-fA-F]/.test(s[c])) return null; // more than 4 hex digits
    if (c < s.length && s[c] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4(s);
      if (!v4) return null;
      ip.set(v4.subarray(12), i);
      i += 4;
      s = '';
      break;
    }
    const n = parseInt(m[0], 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(c);
    if (s.length === 0) break;
    if (s[0] !== ':' || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j];
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null; // `::` must stand for at least one zero group
  }
  return ip;
}

/** Go `net.ParseIP`; null when invalid (zones such as `%eth0` are invalid). */
export function parseGoIP(s: string): GoIP | null {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '.') return parseIPv4(s);
    if (s[i] === ':') return parseIPv6(s);
  }
  return null;
}

/** True when the 16-byte address is IPv4 or IPv4-mapped (Go `To4() != nil`). */
export function isGoIPv4(ip: GoIP): boolean {
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_IN_V6_PREFIX[i]) return false;
  return true;
}

/** Go `net.IP.String()`; `<nil>` for an empty IP. */
export function formatGoIP(ip: GoIP | null | undefined): string {
  if (!ip || ip.length === 0) return '<nil>';
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (isGoIPv4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  // Longest run of ≥ 2 zero groups; the first wins a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    if (ip[2 * g] === 0 && ip[2 * g + 1] === 0) {
      let e = g;
      while (e < 8 && ip[2 * e] === 0 && ip[2 * e + 1] === 0) e++;
      if (e - g > bestLen) {
        bestStart = g;
        bestLen = e - g;
      }
      g = e;
    } else {
      g++;
    }
  }
  if (bestLen < 2) bestStart = -1;
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) groups.push(((ip[2 * g] << 8) | ip[2 * g + 1]).toString(16));
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** Go `net.ParseCIDR` keeping host bits (gridtypes `ParseIPNet`); null when invalid. */
export function parseGoCIDR(s: string): GoIPNet | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  let maskLen: 4 | 16 = 4;
  let ip = parseIPv4(addr);
  if (!ip) {
    maskLen = 16;
    ip = parseIPv6(addr);
  }
  // Go dtoi: decimal digits (leading zeros allowed), at most 0xFFFFFF.
  if (!ip || !/^[0-9]+$/.test(mask) || mask.length > 8) return null;
  const bits = Number(mask);
  if (bits > 8 * maskLen) return null;
  return { ip, maskBits: bits, maskLen };
}

/** Go `net.IPNet.String()` of an unmasked gridtypes.IPNet; `<nil>` when empty. */
export function formatGoIPNet(n: GoIPNet | null | undefined): string {
  if (!n) return '<nil>';
  // networkNumberAndMask: an IPv4 address with a 16-byte mask keeps only the last 4 mask bytes.
  if (isGoIPv4(n.ip)) {
    const bits = n.maskLen === 16 ? Math.max(0, n.maskBits - 96) : n.maskBits;
    return `${formatGoIP(n.ip)}/${bits}`;
  }
  if (n.maskLen === 4) return '<nil>';
  return `${formatGoIP(n.ip)}/${n.maskBits}`;
}

/** Canonical Go text of an IP string: `''` stays `''` (nil IP); throws Go's error text when invalid. */
export function canonicalIP(s: string): string {
  if (s === '') return '';
  const ip = parseGoIP(s);
  if (!ip) throw new Error(`invalid IP address: ${s}`);
  return formatGoIP(ip);
}

/** Canonical Go text of a CIDR string: `''` stays `''` (empty IPNet); throws Go's error text when invalid. */
export function canonicalCIDR(s: string): string {
  if (s === '') return '';
  const n = parseGoCIDR(s);
  if (!n) throw new Error(`invalid CIDR address: ${s}`);
  return formatGoIPNet(n);
}

/** True for loopback addresses (Go `IP.IsLoopback`: 127/8 or ::1). */
export function isGoLoopback(ip: GoIP): boolean {
  if (isGoIPv4(ip)) return ip[12] === 127;
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false;
  return ip[15] === 1;
}
