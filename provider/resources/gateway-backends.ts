/**
 * Backend rules shared by NameProxy and FqdnProxy (zos-protocol.md §1.5 gateway-name-proxy: with
 * `tlsPassthrough` a backend is `ip:port`; without, an `http://` URL whose host is an IP literal, not loopback).
 * @module
 */
import { z } from 'zod';

function isIpLiteral(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return /^(\d{1,3}\.){3}\d{1,3}$/.test(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h));
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h.startsWith('127.') || h === '::1';
}

/** The reason a backend is invalid for the given passthrough mode, or undefined. */
export function backendProblem(backend: string, tlsPassthrough: boolean): string | undefined {
  if (tlsPassthrough) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(backend);
    if (!m || !isIpLiteral(m[1]) || Number(m[2]) > 65535) return `"${backend}" must be ip:port (IPv6 as [ip]:port) when tlsPassthrough is true`;
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(backend);
  } catch {
    return `"${backend}" must be an http:// URL such as http://10.20.2.2:8080`;
  }
  if (url.protocol !== 'http:') return `"${backend}": scheme expected to be http (ZOS terminates TLS itself; use tlsPassthrough for https backends)`;
  if (!isIpLiteral(url.hostname)) return `"${backend}": the host must be an IP address, not a name`;
  if (isLoopback(url.hostname)) return `"${backend}": a loopback address is not reachable from the gateway`;
  return undefined;
}

export const gatewayShape = {
  /** Where traffic goes. */
  backends: z.array(z.string()).min(1, 'backends list can not be empty: give at least one backend'),
  /** Route TLS by SNI to `ip:port` backends instead of terminating it on the node. */
  tlsPassthrough: z.boolean().default(false),
  /** Name of a Network the backends are in (private backend IPs). */
  network: z.string().optional(),
};

/** Adds a zod issue per bad backend, at `backends[i]`. */
export function refineBackends(i: { backends: string[]; tlsPassthrough: boolean }, ctx: z.RefinementCtx): void {
  i.backends.forEach((b, idx) => {
    const p = backendProblem(b, i.tlsPassthrough);
    if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: p, path: ['backends', idx] });
  });
}
