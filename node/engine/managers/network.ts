/**
 * network / network-light manager: one network resource per (twin, name) through `backends.network`
 * (zos-protocol.md §1.5 network, §3.5 upsert, §6.4). Result data is null (§4).
 */
import type { NetworkConfig } from '../../backends/network/network';
import type { NetworkData, NetworkLightData } from '../../../protocol/zos/types';
import type { Manager, ManagerContext } from './manager';

function config(ctx: ManagerContext, d: NetworkData | NetworkLightData): NetworkConfig {
  return {
    netId: ctx.netId(ctx.name),
    ipRange: d.ip_range || d.subnet,
    subnet: d.subnet,
    wgPrivateKey: d.wireguard_private_key,
    wgListenPort: d.wireguard_listen_port,
    peers: d.peers.map((p) => ({
      subnet: p.subnet,
      wgPublicKey: p.wireguard_public_key,
      allowedIps: p.allowed_ips,
      endpoint: p.endpoint,
    })),
    mycelium: d.mycelium && d.mycelium.hex_key ? { hexKey: d.mycelium.hex_key } : undefined,
  };
}

export const networkManager: Manager<'network' | 'network-light'> = {
  async provision(ctx, data) {
    await ctx.backends.network.apply(config(ctx, data));
    return null;
  },
  async deprovision(ctx) {
    await ctx.backends.network.remove(ctx.netId(ctx.name));
  },
  async update(ctx, data) {
    await ctx.backends.network.apply(config(ctx, data));
    return null;
  },
};
