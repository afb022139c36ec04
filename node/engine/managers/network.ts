/**
 * network / network-light manager: one network resource per (twin, name) through `backends.network`
 * (zos-protocol.md §1.5 network, §3.5 upsert, §6.4). Result data is null (§4).
 */
import type { NetworkConfig } from '../../backends/network/network';
import type { Manager, ManagerContext } from './manager';

interface NetworkData {
  ip_range: string;
  subnet: string;
  wireguard_private_key: string;
  wireguard_listen_port: number;
  peers: { subnet: string; wireguard_public_key: string; allowed_ips: string[]; endpoint: string }[];
  mycelium?: { hex_key: string; peers?: string[] };
}

function config(ctx: ManagerContext, d: NetworkData): NetworkConfig {
  return {
    netId: ctx.netId(ctx.name),
    ipRange: d.ip_range || d.subnet,
    subnet: d.subnet,
    wgPrivateKey: d.wireguard_private_key,
    wgListenPort: d.wireguard_listen_port,
    peers: (d.peers ?? []).map((p) => ({
      subnet: p.subnet,
      wgPublicKey: p.wireguard_public_key,
      allowedIps: p.allowed_ips ?? [],
      endpoint: p.endpoint ?? '',
    })),
    mycelium: d.mycelium && d.mycelium.hex_key ? { hexKey: d.mycelium.hex_key } : undefined,
  };
}

export const networkManager: Manager = {
  async provision(ctx, data) {
    await ctx.backends.network.apply(config(ctx, data as NetworkData));
    return null;
  },
  async deprovision(ctx) {
    await ctx.backends.network.remove(ctx.netId(ctx.name));
  },
  async update(ctx, data) {
    await ctx.backends.network.apply(config(ctx, data as NetworkData));
    return null;
  },
};
