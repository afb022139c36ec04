/**
 * Backend rules shared by NameProxy and FqdnProxy (zos-protocol.md §1.5 gateway-name-proxy: with
 * `tlsPassthrough` a backend is `ip:port`; without, an `http://` URL whose host is an IP literal, not loopback).
 * @module
 */
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';
import type { ProviderRuntime } from '../runtime';
import { isNetworkType } from '../node-kind';

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

/** The backend's host (IP literal without brackets), or undefined when it has none. */
function backendHost(backend: string, tlsPassthrough: boolean): string | undefined {
  if (tlsPassthrough) return /^(\[[^\]]+\]|[^:]+):\d+$/.exec(backend)?.[1].replace(/^\[|\]$/g, '');
  try {
    return new URL(backend).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/**
 * Private addresses (RFC 1918, 100.64/10 as ZOS uses for network access, IPv6 ULA): a machine's `privateIp` lives
 * only inside its network, so a gateway reaches it only through that network; without `network` the node proxies
 * from its public side and every request ends in a 404 or a timeout.
 */
export function isPrivateAddress(host: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return /^f[cd][0-9a-f]{2}:/i.test(host);
}

/** Adds a zod issue per bad backend, at `backends[i]`. */
export function refineBackends(i: { backends: string[]; tlsPassthrough: boolean; network?: string }, ctx: z.RefinementCtx): void {
  i.backends.forEach((b, idx) => {
    const p = backendProblem(b, i.tlsPassthrough);
    if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: p, path: ['backends', idx] });
    const host = p ? undefined : backendHost(b, i.tlsPassthrough);
    if (host && !i.network && isPrivateAddress(host)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['backends', idx],
        message: `"${b}" is a private address, reachable only inside a private network, and no \`network\` is given (the gateway would answer 404); set \`network\` to the Network the machine is in (and add the gateway node to it), or use a public address`,
      });
    }
  });
}

/**
 * At up, before any contract: a gateway with `network` needs that network on its own node (ZOS: `network <name> of
 * twin <id> not found on this node`, after the name contract was paid). The Network resource it names is created
 * first (the SDK passes its name as an output), so a missing one means the node is not in its `nodes`.
 */
export async function requireNetworkOnNode(i: { node: number; name: string; network?: string }, typeName: string, runtime: ProviderRuntime): Promise<void> {
  if (!i.network) return;
  const deployments = await (await runtime.deps.node(i.node)).list();
  const found = deployments.some((d) => d.workloads.some((w) => isNetworkType(w.type) && w.name === i.network && w.result?.state !== 'deleted'));
  if (found) return;
  throw new InputError(`${typeName} "${i.name}": network "${i.network}" is not on node ${i.node} (the gateway node); a gateway reaches private backends only through a network on its own node`, {
    path: 'network',
    node: i.node,
    fix: `add node ${i.node} to the Network's nodes, or put the gateway on a node of the network`,
  });
}
