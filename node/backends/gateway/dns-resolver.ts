/**
 * A resolver asking one DNS server (`host:port`) for A and AAAA records: the gateway's FQDN check points it at
 * the grid's DNS (node config `gateway.dns`). Node's own resolver does the protocol; "no such name" is [].
 * @module
 */
import { promises as dnsPromises } from 'dns';

/** `(fqdn) => addresses` through the DNS server at `address`. */
export function createDnsResolver(address: string): (fqdn: string) => Promise<string[]> {
  const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([address]);
  const quiet = (p: Promise<string[]>) =>
    p.catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOTFOUND' || e.code === 'ENODATA') return [] as string[];
      throw e;
    });
  return async (fqdn) => {
    const [v4, v6] = await Promise.all([quiet(resolver.resolve4(fqdn)), quiet(resolver.resolve6(fqdn))]);
    return [...v4, ...v6];
  };
}
