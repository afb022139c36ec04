/** gateway-name-proxy manager: `<name>.<node domain>` through `backends.gateway` (zos-protocol.md §1.5, §4, §6.5). */
import type { Manager } from './manager';

interface NameProxyData {
  name: string;
  tls_passthrough: boolean;
  backends: string[];
  network?: string;
}

export const gatewayNameProxyManager: Manager = {
  async provision(ctx, data) {
    const d = data as NameProxyData;
    return ctx.backends.gateway.addNameProxy({
      workloadId: ctx.wid,
      twinId: ctx.twinId,
      name: d.name,
      tlsPassthrough: d.tls_passthrough === true,
      backends: d.backends ?? [],
      network: d.network || undefined,
    });
  },
  async deprovision(ctx) {
    await ctx.backends.gateway.remove(ctx.wid);
  },
};
