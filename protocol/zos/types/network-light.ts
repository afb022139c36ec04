/**
 * network-light: the network resource of a light node; mycelium is mandatory (a Go value, not a pointer).
 * Wire format and rules: zos-protocol.md §1.5 (network-light), §2.4 (`<nil>` for an empty ip_range).
 */
import { z } from 'zod';
import { goIPNet, goSlice, goString, goStruct, goUint } from '../go-json';
import { capacity, UPSERT, type WorkloadKind } from './kind';
import { myceliumChallenge, myceliumShape, peerChallenge, peerSchema, validateMycelium } from './network';

export const NETWORK_LIGHT = 'network-light';

export const networkLightDataSchema = goStruct('zos.NetworkLight', {
  subnet: goIPNet(),
  mycelium: goStruct('zos.Mycelium', myceliumShape),
  ip_range: goIPNet(),
  wireguard_private_key: goString(),
  wireguard_listen_port: goUint(16),
  peers: goSlice(peerSchema, '[]zos.Peer'),
});
export type NetworkLightData = ReturnType<typeof networkLightDataSchema.parse>;

export const networkLight = {
  type: NETWORK_LIGHT as typeof NETWORK_LIGHT,
  goType: '*zos.NetworkLight',
  sharable: true,
  data: networkLightDataSchema,
  result: z
    .null()
    .or(z.undefined())
    .transform(() => null),
  challenge: (d, w) => {
    w.ipnet(d.ip_range).ipnet(d.subnet).str(d.wireguard_private_key).uint(d.wireguard_listen_port);
    for (const p of d.peers) peerChallenge(p, w);
    myceliumChallenge(d.mycelium, w);
  },
  validate: (d) => (d.subnet === '' ? 'network resource subnet cannot empty' : validateMycelium(d.mycelium)),
  capacity: () => capacity(),
  update: UPSERT,
} satisfies WorkloadKind<NetworkLightData, null>;
