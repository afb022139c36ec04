/** gateway-fqdn-proxy manager: a user FQDN through `backends.gateway` (zos-protocol.md §1.5, §4, §6.5). */
import type { Manager } from './manager';

interface FqdnProxyData {
  fqdn: string;
  tls_passthrough: boolean;
  backends: string[];
  network?: string;
}

export const gatewayFqdnProxyManager: Manager = {
  async provision(ctx, data) {
    const d = data as FqdnProxyData;
    return ctx.backends.gateway.addFqdnProxy({
      workloadId: ctx.wid,
      twinId: ctx.twinId,
      fqdn: d.fqdn,
      tlsPassthrough: d.tls_passthrough === true,
      backends: d.backends ?? [],
      network: d.network || undefined,
    });
  },
  async deprovision(ctx) {
    await ctx.backends.gateway.remove(ctx.wid);
  },
};
