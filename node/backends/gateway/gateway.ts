/**
 * The gateway backend family: name proxies and FQDN proxies on a gateway node (zos-protocol.md §1.5
 * gateway-name-proxy / gateway-fqdn-proxy, §4, §6.5). The interface comment is the spec; `proxy.ts` is the
 * real reverse proxy (HTTP, TLS termination with the grid CA, TLS passthrough by SNI), `sim.ts` keeps state.
 *
 * Lifecycle, as the node engine's gateway managers use it:
 * ```ts
 * const gw = await createGatewayProxy(
 *   { log, checkNameContract: (name, twin) => chain.nameContractStatus(name, twin), resolveHost: dns.resolve },
 *   { node: { domain: 'gw1.grid.local', publicIPs: ['10.100.0.11'] }, listen: { host: '10.100.0.11', httpPort: 80, httpsPort: 443 } },
 * );
 * await gw.addNameProxy({ workloadId: '7-12-web', twinId: 7, name: 'web', tlsPassthrough: false,
 *                         backends: ['http://10.20.2.2:8080'] });       // → { fqdn: 'web.gw1.grid.local' }
 * await gw.addFqdnProxy({ workloadId: '7-12-site', twinId: 7, fqdn: 'site.example.test', tlsPassthrough: true,
 *                         backends: ['10.20.2.2:443'] });               // → {}
 * await gw.remove('7-12-web');                                           // idempotent
 * await gw.close();
 * ```
 * Failures are `ZosError`s whose message is the ZOS text, byte for byte (`GATEWAY_ERRORS`).
 * @module
 */
import * as net from 'net';
import { ZosError } from '../../../protocol/common/errors';

/** What the node advertises in its public config. */
export interface GatewayNodeConfig {
  /** The node's managed domain; without it name proxies are refused. */
  domain?: string;
  /** Public IPv4/IPv6 addresses (no prefix); FQDNs must resolve to one of them, backends must not. */
  publicIPs: string[];
}

interface ProxySpecBase {
  /** Workload id (`<twin>-<contract>-<name>`): the key for `remove`. */
  workloadId: string;
  twinId: number;
  tlsPassthrough: boolean;
  /** `http://ip:port` when terminating, `ip:port` when passing TLS through. */
  backends: string[];
  /** Private network name of the twin; backends may then be private IPs in it. */
  network?: string;
}
export interface NameProxySpec extends ProxySpecBase {
  name: string;
}
export interface FqdnProxySpec extends ProxySpecBase {
  fqdn: string;
}

/** Result data (§4). */
export interface NameProxyResult {
  fqdn: string;
}
export type FqdnProxyResult = Record<string, never>;

/** One served domain. */
export interface GatewayRoute {
  workloadId: string;
  twinId: number;
  kind: 'name' | 'fqdn';
  /** The served host name, lowercase. */
  fqdn: string;
  tlsPassthrough: boolean;
  backends: string[];
  network?: string;
}

/** What the chain says about a name contract (the engine's chain client answers this). */
export type NameContractStatus = { exists: false } | { exists: true; twinId: number; state: 'Created' | 'GracePeriod' | 'Deleted' | string };

/** A backend to connect to: in the twin's private network `network` when set, else on the node's own networks. */
export interface DialTarget {
  host: string;
  port: number;
  twinId: number;
  network?: string;
}

/**
 * A TCP connection to a backend. A node dials from the twin's network or its host namespace, never from the
 * daemon's own (`createNetnsBridge`); the default, `net.connect` from here, is for nodes that run in their host
 * namespace and for tests.
 */
export type GatewayDialer = (target: DialTarget) => net.Socket | Promise<net.Socket>;

export interface GatewayDeps {
  /** Name-contract lookup, injected by the engine (chain in production, a map in tests). */
  checkNameContract: (name: string, twinId: number) => Promise<NameContractStatus>;
  /** A/AAAA lookup through the grid DNS (`local/dns`); returns [] for unknown names. */
  resolveHost: (fqdn: string) => Promise<string[]>;
  /** When `network` is set, checks it exists for the twin; throw to refuse (`failed to get user network: …`). */
  checkNetwork?: (twinId: number, network: string) => Promise<void>;
  dial?: GatewayDialer;
}

export interface GatewayBackend {
  /** Serves `<name>.<domain>`; refuses with §6.5 texts. Idempotent for the same workload id. */
  addNameProxy(spec: NameProxySpec): Promise<NameProxyResult>;
  /** Serves `fqdn` once it resolves to this node; refuses with §6.5 texts. Idempotent for the same id. */
  addFqdnProxy(spec: FqdnProxySpec): Promise<FqdnProxyResult>;
  /** Stops serving the workload's domain; unknown ids are fine. */
  remove(workloadId: string): Promise<void>;
  routes(): GatewayRoute[];
  close(): Promise<void>;
}

/** ZOS texts (pkg/gateway/gateway.go, zos/gw*.go; §1.5, §6.5). Functions take the variable part. */
export const GATEWAY_ERRORS = {
  noDomain: "node doesn't support name proxy (doesn't have a domain)",
  nameContractMissing: 'failed to verify name contract: a name contract with the given name must be reserved first',
  nameContractState: 'failed to verify name contract: the name contract must be in Created or GracePeriod state',
  nameContractTwin: 'failed to verify name contract: twin id mismatch',
  fqdnUnderDomain: "can't create a fqdn workload with a subdomain of the gateway's managed domain",
  dnsMismatch: "failed to verify domain dns record: host doesn't point to the gateway ip",
  ownIP: (backend: string) => `backend ${backend} points to the node's own public IP address`,
  alreadyRegistered: (fqdn: string) => `domain already registered: ${fqdn}`,
  invalidName: (name: string) => `name ${name} is invalid`,
  invalidFqdn: (fqdn: string) => `fqdn ${fqdn} is invalid`,
  emptyBackends: 'backends list can not be empty',
  schemeHttp: 'scheme expected to be http',
  invalidBackendIP: (host: string) => `invalid ip address in backend: ${host}`,
  userNetwork: (cause: string) => `failed to get user network: ${cause}`,
} as const;

function gatewayError(text: string, ctx: Record<string, unknown> = {}): ZosError {
  return new ZosError(text, { ...ctx, nodeMessage: text });
}

const NAME_RE = /^[a-zA-Z0-9-_]+$/;
const FQDN_RE = /^([a-zA-Z0-9-_]+\.)+[a-zA-Z0-9-_]{2,}$/;

/** A parsed backend: where to connect. */
export interface BackendTarget {
  host: string;
  port: number;
}

/**
 * Validates one backend the way ZOS does (zos/gw.go `Backend.Valid`) and returns its target, or the ZOS
 * text wrapped as `failed to validate backend '<b>': <cause>`. Passthrough: `ip:port` / `[ip6]:port`
 * (Go reports SplitHostPort errors twice wrapped); otherwise `http://ip[:port]` (port 80 default), an IP
 * literal that is not loopback.
 */
export function parseBackend(backend: string, tlsPassthrough: boolean): BackendTarget | string {
  const wrap = (cause: string) => `failed to validate backend '${backend}': ${cause}`;
  if (tlsPassthrough) {
    const parse = (cause: string) => wrap(`failed to parse backend ${backend} with error: ${cause}`);
    const hp = splitHostPort(backend);
    if (typeof hp === 'string') return parse(`failed to parse backend ${backend} with error: address ${backend}: ${hp}`);
    if (!net.isIP(hp.host)) return parse('invalid ip');
    if (!/^\d+$/.test(hp.port)) return parse(`invalid port in backend: ${hp.port}`);
    const port = Number(hp.port);
    if (port > 65535) return parse(`port '${hp.port}' must be <= 65535`);
    return { host: hp.host, port };
  }
  let url: URL;
  try {
    url = new URL(backend);
  } catch {
    return wrap(`failed to parse backend with error: parse "${backend}": invalid URI for request`);
  }
  if (url.protocol !== 'http:') return wrap(GATEWAY_ERRORS.schemeHttp);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!net.isIP(host) || isLoopback(host)) return wrap(GATEWAY_ERRORS.invalidBackendIP(host));
  return { host, port: url.port ? Number(url.port) : 80 };
}

/** Go's net.SplitHostPort, enough for backends: the parts or the error text. */
function splitHostPort(s: string): { host: string; port: string } | string {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return "missing ']' in address";
    if (end + 1 === s.length) return 'missing port in address';
    if (s[end + 1] !== ':') return 'missing port in address';
    return { host: s.slice(1, end), port: s.slice(end + 2) };
  }
  const i = s.lastIndexOf(':');
  if (i < 0) return 'missing port in address';
  if (s.indexOf(':') !== i) return 'too many colons in address';
  return { host: s.slice(0, i), port: s.slice(i + 1) };
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

/** Sync validation of a name proxy (§1.5): the ZOS text or undefined. */
function validateNameProxy(spec: NameProxySpec): string | undefined {
  if (!NAME_RE.test(spec.name)) return GATEWAY_ERRORS.invalidName(spec.name);
  return validateBackends(spec.backends, spec.tlsPassthrough);
}

/** Sync validation of an FQDN proxy (§1.5): the ZOS text or undefined. */
function validateFqdnProxy(spec: FqdnProxySpec): string | undefined {
  if (!FQDN_RE.test(spec.fqdn)) return GATEWAY_ERRORS.invalidFqdn(spec.fqdn);
  return validateBackends(spec.backends, spec.tlsPassthrough);
}

function validateBackends(backends: string[], tlsPassthrough: boolean): string | undefined {
  if (backends.length === 0) return GATEWAY_ERRORS.emptyBackends;
  for (const b of backends) {
    const r = parseBackend(b, tlsPassthrough);
    if (typeof r === 'string') return r;
  }
  return undefined;
}

/**
 * The provision-time checks shared by every implementation (§6.5), in ZOS order. Returns the route to
 * serve or throws a `ZosError` with the exact text. `taken(fqdnLowercase, workloadId)` answers whether
 * the host is already served by another workload (any twin). Same workload id again is not a conflict,
 * so managers stay idempotent.
 */
async function planNameProxy(deps: GatewayDeps, node: GatewayNodeConfig, spec: NameProxySpec, taken: (fqdn: string, workloadId: string) => boolean): Promise<GatewayRoute> {
  const invalid = validateNameProxy(spec);
  if (invalid) throw gatewayError(invalid, { workload: spec.workloadId });
  if (!node.domain) throw gatewayError(GATEWAY_ERRORS.noDomain, { workload: spec.workloadId });
  const status = await deps.checkNameContract(spec.name, spec.twinId);
  if (!status.exists) throw gatewayError(GATEWAY_ERRORS.nameContractMissing, { workload: spec.workloadId });
  if (status.state !== 'Created' && status.state !== 'GracePeriod') {
    throw gatewayError(GATEWAY_ERRORS.nameContractState, { workload: spec.workloadId });
  }
  if (status.twinId !== spec.twinId) throw gatewayError(GATEWAY_ERRORS.nameContractTwin, { workload: spec.workloadId });
  const fqdn = `${spec.name}.${node.domain}`;
  await checkCommon(deps, node, spec, fqdn, taken);
  return toRoute(spec, 'name', fqdn);
}

async function planFqdnProxy(deps: GatewayDeps, node: GatewayNodeConfig, spec: FqdnProxySpec, taken: (fqdn: string, workloadId: string) => boolean): Promise<GatewayRoute> {
  const invalid = validateFqdnProxy(spec);
  if (invalid) throw gatewayError(invalid, { workload: spec.workloadId });
  const fqdn = spec.fqdn;
  // ZOS uses a plain string suffix here (strings.HasSuffix), not a label boundary.
  if (node.domain && fqdn.endsWith(node.domain)) {
    throw gatewayError(GATEWAY_ERRORS.fqdnUnderDomain, { workload: spec.workloadId });
  }
  const addrs = await deps.resolveHost(fqdn);
  if (addrs.length === 0) {
    // Go's resolver fails the lookup itself when there is no record.
    throw gatewayError(`failed to verify domain dns record: lookup ${fqdn}: no such host`, { workload: spec.workloadId });
  }
  const mine = new Set(node.publicIPs.map(normalizeIP));
  if (!addrs.some((a) => mine.has(normalizeIP(a)))) {
    throw gatewayError(GATEWAY_ERRORS.dnsMismatch, { workload: spec.workloadId, resolved: addrs });
  }
  await checkCommon(deps, node, spec, fqdn, taken);
  return toRoute(spec, 'fqdn', fqdn);
}

function toRoute(spec: ProxySpecBase, kind: GatewayRoute['kind'], fqdn: string): GatewayRoute {
  return { workloadId: spec.workloadId, twinId: spec.twinId, kind, fqdn, tlsPassthrough: spec.tlsPassthrough, backends: [...spec.backends], network: spec.network };
}

async function checkCommon(deps: GatewayDeps, node: GatewayNodeConfig, spec: ProxySpecBase, fqdn: string, taken: (fqdn: string, workloadId: string) => boolean): Promise<void> {
  const mine = new Set(node.publicIPs.map(normalizeIP));
  for (const b of spec.backends) {
    const t = parseBackend(b, spec.tlsPassthrough);
    if (typeof t === 'string') throw gatewayError(t, { workload: spec.workloadId });
    if (mine.has(normalizeIP(t.host))) throw gatewayError(GATEWAY_ERRORS.ownIP(b), { workload: spec.workloadId });
  }
  // ZOS order (setupRouting): backends, then the domain table, then the user network.
  if (taken(fqdn.toLowerCase(), spec.workloadId)) throw gatewayError(GATEWAY_ERRORS.alreadyRegistered(fqdn), { workload: spec.workloadId });
  if (spec.network && deps.checkNetwork) {
    try {
      await deps.checkNetwork(spec.twinId, spec.network);
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      throw gatewayError(GATEWAY_ERRORS.userNetwork(cause), { workload: spec.workloadId });
    }
  }
}

/**
 * `addNameProxy` and `addFqdnProxy` over an implementation's own domain table: plan (the §6.5 checks), then
 * check the table again and `install` in the same tick, with no await between, so two racing adds for one
 * host cannot both land.
 */
export function proxyAdders(
  deps: GatewayDeps,
  node: GatewayNodeConfig,
  taken: (fqdn: string, workloadId: string) => boolean,
  install: (route: GatewayRoute) => void,
): Pick<GatewayBackend, 'addNameProxy' | 'addFqdnProxy'> {
  return {
    async addNameProxy(spec) {
      const route = await planNameProxy(deps, node, spec, taken);
      recheck(route, taken);
      install(route);
      return { fqdn: route.fqdn };
    },
    async addFqdnProxy(spec) {
      const route = await planFqdnProxy(deps, node, spec, taken);
      recheck(route, taken);
      install(route);
      return {};
    },
  };
}

/**
 * The domain table may have changed while a plan awaited the chain, DNS or the network; check again right
 * before installing (ZOS holds a lock over the same span).
 */
function recheck(route: GatewayRoute, taken: (fqdn: string, workloadId: string) => boolean): void {
  if (taken(route.fqdn.toLowerCase(), route.workloadId)) {
    throw gatewayError(GATEWAY_ERRORS.alreadyRegistered(route.fqdn), { workload: route.workloadId });
  }
}

function normalizeIP(ip: string): string {
  return ip.toLowerCase().replace(/^::ffff:/, '');
}
