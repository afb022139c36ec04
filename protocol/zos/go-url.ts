/**
 * The parts of Go's `net/url.Parse` and `net.SplitHostPort` that ZOS validation depends on (zos-protocol.md
 * §1.5 zlogs and gateways): the scheme, the host name, and the exact error texts.
 * @module
 */

/** What the validators read from a parsed URL. */
export interface GoUrl {
  /** Lowercased scheme, `''` when none. */
  readonly scheme: string;
  /** `host[:port]` of the authority, `''` for opaque or relative URLs. */
  readonly host: string;
}

/** Go `%q` of a plain string (close enough for URLs: escapes quotes, backslashes and control bytes). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

// Characters Go accepts unescaped in a host (url.shouldEscape, encodeHost mode).
const HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]$/;

function parseHost(host: string): string {
  let checkFrom = host;
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${goQuote(colonPort)} after host`);
    checkFrom = host;
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  for (const ch of checkFrom) {
    if (ch.charCodeAt(0) < 0x80 && !HOST_OK.test(ch)) throw new Error(`invalid character ${goQuote(ch)} in host name`);
  }
  return host;
}

/** Go `url.Parse`; throws with Go's text `parse "<url>": <cause>`. */
export function parseGoUrl(raw: string): GoUrl {
  const hash = raw.indexOf('#');
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  const fail = (cause: string): never => {
    throw new Error(`parse ${goQuote(u)}: ${cause}`);
  };
  if (/[\x00-\x1f\x7f]/.test(u)) fail('net/url: invalid control character in URL');
  if (u === '*') return { scheme: '', host: '' };
  let scheme = '';
  let rest = u;
  for (let i = 0; i < u.length; i++) {
    const c = u[i];
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) fail('missing protocol scheme');
      scheme = u.slice(0, i).toLowerCase();
      rest = u.slice(i + 1);
    }
    break;
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, host: '' }; // opaque: `http:10.0.0.1`
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) fail('first path segment in URL cannot contain colon');
  }
  let host = '';
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf('/');
    const authority = slash >= 0 ? afterSlashes.slice(0, slash) : afterSlashes;
    const at = authority.lastIndexOf('@');
    try {
      host = parseHost(at < 0 ? authority : authority.slice(at + 1));
    } catch (err) {
      fail((err as Error).message);
    }
  }
  return { scheme, host };
}

/** Go `URL.Hostname()`: the host without port and brackets. */
export function goUrlHostname(u: GoUrl): string {
  let host = u.host;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon))) host = host.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}

/** Go `net.SplitHostPort`; throws with Go's `address <a>: <why>` text. */
export function goSplitHostPort(hostport: string): { host: string; port: string } {
  const fail = (why: string): never => {
    throw new Error(hostport === '' ? why : `address ${hostport}: ${why}`);
  };
  let j = 0;
  let k = 0;
  const i = hostport.lastIndexOf(':');
  if (i < 0) fail('missing port in address');
  let host: string;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) fail("missing ']' in address");
    if (end + 1 === hostport.length) fail('missing port in address');
    if (end + 1 !== i) fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) fail('too many colons in address');
  }
  if (hostport.slice(j).includes('[')) fail("unexpected '[' in address");
  if (hostport.slice(k).includes(']')) fail("unexpected ']' in address");
  return { host, port: hostport.slice(i + 1) };
}
