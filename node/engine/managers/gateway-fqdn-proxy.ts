/** gateway-fqdn-proxy manager: a user FQDN through `backends.gateway` (zos-protocol.md §1.5, §4, §6.5). */
import type { Manager } from './manager';

export const gatewayFqdnProxyManager: Manager<'gateway-fqdn-proxy'> = {
  async provision(ctx, d) {
    return ctx.backends.gateway.addFqdnProxy({
      workloadId: ctx.wid,
      twinId: ctx.twinId,
      fqdn: d.fqdn,
      tlsPassthrough: d.tls_passthrough,
      backends: d.backends,
      network: d.network || undefined,
    });
  },
  async deprovision(ctx) {
    await ctx.backends.gateway.remove(ctx.wid);
  },
};
