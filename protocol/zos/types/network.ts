/**
 * network: a private WireGuard network resource on a full node, sharable across one twin's deployments.
 * Wire format and rules: zos-protocol.md §1.5 (network), §2.4, §3.5, §6.4. Peers, mycelium and the
 * `<nil>` rule for empty CIDRs are shared with network-light.
 */
import { z } from 'zod';
import { goHexBytes, goIPNet, goOptionalStruct, goSlice, goString, goStruct, goUint } from '../go-json';
import type { ChallengeWriter } from '../challenge-writer';
import { capacity, UPSERT, type WorkloadKind } from './kind';

export const NETWORK = 'network';
export const MYCELIUM_KEY_LEN = 32;

export const peerSchema = goStruct('zos.Peer', {
  subnet: goIPNet(),
  wireguard_public_key: goString(),
  allowed_ips: goSlice(goIPNet(), '[]gridtypes.IPNet'),
  /** `ip:port`, `[ipv6]:port`, or `''` for a peer that is not reachable; hashed as given. */
  endpoint: goString(),
});
export type Peer = ReturnType<typeof peerSchema.parse>;

export const myceliumShape = {
  /** 32-byte key as lowercase hex. */
  hex_key: goHexBytes(),
  peers: goSlice(goString('zos.MyceliumPeer'), '[]zos.MyceliumPeer'),
};
export const myceliumSchema = goStruct('zos.Mycelium', myceliumShape);
export type Mycelium = ReturnType<typeof myceliumSchema.parse>;

export const networkDataSchema = goStruct('zos.Network', {
  ip_range: goIPNet(),
  subnet: goIPNet(),
  wireguard_private_key: goString(),
  wireguard_listen_port: goUint(16),
  peers: goSlice(peerSchema, '[]zos.Peer'),
  /** Optional (Go pointer): absent is not hashed, present is validated. */
  mycelium: goOptionalStruct('zos.Mycelium', myceliumShape),
});
export type NetworkData = ReturnType<typeof networkDataSchema.parse>;

/** Go `Peer.Valid`. */
export function validatePeer(p: Peer): string | undefined {
  if (p.subnet === '') return 'peer wireguard subnet cannot empty';
  if (p.allowed_ips.length === 0) return 'peer wireguard allowedIPs cannot empty';
  if (p.wireguard_public_key === '') return 'peer wireguard public key cannot empty';
  return undefined;
}

/** Go `Mycelium.Valid`. */
export function validateMycelium(m: Mycelium): string | undefined {
  if (m.hex_key.length / 2 !== MYCELIUM_KEY_LEN) return `invalid mycelium key length, expected ${MYCELIUM_KEY_LEN}`;
  if (m.peers.length !== 0) return 'user defined peers list is not supported right now';
  return undefined;
}

/** Go `Peer.Challenge`: public key, endpoint, subnet, then each allowed IP. */
export function peerChallenge(p: Peer, w: ChallengeWriter): void {
  w.str(p.wireguard_public_key).str(p.endpoint).ipnet(p.subnet);
  for (const a of p.allowed_ips) w.ipnet(a);
}

/** Go `Mycelium.Challenge`: `%x` key, then each peer. */
export function myceliumChallenge(m: Mycelium, w: ChallengeWriter): void {
  w.hex(m.hex_key);
  for (const p of m.peers) w.str(p);
}

export const network = {
  type: NETWORK as typeof NETWORK,
  goType: '*zos.Network',
  sharable: true,
  data: networkDataSchema,
  result: z
    .null()
    .or(z.undefined())
    .transform(() => null),
  challenge: (d, w) => {
    w.ipnet(d.ip_range).ipnet(d.subnet).str(d.wireguard_private_key).uint(d.wireguard_listen_port);
    for (const p of d.peers) peerChallenge(p, w);
    if (d.mycelium) myceliumChallenge(d.mycelium, w);
  },
  validate: (d) => {
    if (d.ip_range === '') return 'network IP range cannot be empty';
    if (d.subnet === '') return 'network resource subnet cannot empty';
    if (d.wireguard_private_key === '') return 'network resource wireguard private key cannot empty';
    for (const p of d.peers) {
      const err = validatePeer(p);
      if (err) return err;
    }
    return d.mycelium ? validateMycelium(d.mycelium) : undefined;
  },
  capacity: () => capacity(),
  update: UPSERT,
} satisfies WorkloadKind<NetworkData, null>;
