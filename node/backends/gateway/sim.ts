/**
 * Gateway backend, state only (docs/style.md §3): every §6.5 check and the domain table, no listener
 * (zos-protocol.md §1.5, §6.5). For machines without the real proxy; never a CI fallback.
 * @module
 */
import { proxyAdders, type GatewayBackend, type GatewayDeps, type GatewayNodeConfig, type GatewayRoute } from './gateway';

export function createSimGateway(deps: GatewayDeps, opts: { node: GatewayNodeConfig }): GatewayBackend {
  const routes = new Map<string, GatewayRoute>();
  const taken = (fqdn: string, id: string) => [...routes.values()].some((r) => r.fqdn.toLowerCase() === fqdn && r.workloadId !== id);
  return {
    ...proxyAdders(deps, opts.node, taken, (route) => routes.set(route.workloadId, route)),
    async remove(id) {
      routes.delete(id);
    },
    routes: () => [...routes.values()].map((r) => ({ ...r, backends: [...r.backends] })),
    async close() {
      routes.clear();
    },
  };
}
