/**
 * Network planning (zos-protocol.md §6.4): /24 per node, stable keys/ports/subnets, peers with hidden-node routing
 * through a public node, access peer and its wg-quick config.
 */
import { allocateSubnets, computePeers, planNetwork, networkWorkloadData, wgIp, wgKeyPair, wgPublicKey, type NodeWg } from './network';
import { networkInputsSchema } from './network';

const inputs = (over: Record<string, unknown> = {}) => networkInputsSchema.parse({ name: 'net1', nodes: [1, 2, 3], ...over });
const facts = { '1': { endpointIp: '185.1.1.2', takenPorts: [] }, '2': { endpointIp: '', takenPorts: [] }, '3': { endpointIp: '', takenPorts: [] } };

describe('network planning', () => {
  it('gives each node its own /24 from the third one up and keeps them when nodes change', () => {
    const first = allocateSubnets('10.20.0.0/16', [1, 2, 3], {});
    expect(first).toEqual({ '1': '10.20.2.0/24', '2': '10.20.3.0/24', '3': '10.20.4.0/24' });
    const later = allocateSubnets('10.20.0.0/16', [3, 4, 1], { '1': first['1'], '3': first['3'] });
    expect(later).toEqual({ '1': '10.20.2.0/24', '3': '10.20.4.0/24', '4': '10.20.3.0/24' });
  });

  it('computes the WireGuard address of a subnet', () => {
    expect(wgIp('10.20.3.0/24')).toBe('100.64.20.3/32');
  });

  it('derives the public key from the private key (Curve25519)', () => {
    const kp = wgKeyPair();
    expect(wgPublicKey(kp.privateKey)).toBe(kp.publicKey);
  });

  it('peers public nodes directly and routes hidden nodes through a public one', () => {
    const all: NodeWg[] = [
      { node: 1, subnet: '10.20.2.0/24', publicKey: 'K1', port: 1001, endpointIp: '185.1.1.2' },
      { node: 2, subnet: '10.20.3.0/24', publicKey: 'K2', port: 1002, endpointIp: '' },
      { node: 3, subnet: '10.20.4.0/24', publicKey: 'K3', port: 1003, endpointIp: '' },
    ];
    expect(computePeers(all[0], all)).toEqual([
      { subnet: '10.20.3.0/24', wireguard_public_key: 'K2', allowed_ips: ['10.20.3.0/24', '100.64.20.3/32'], endpoint: '' },
      { subnet: '10.20.4.0/24', wireguard_public_key: 'K3', allowed_ips: ['10.20.4.0/24', '100.64.20.4/32'], endpoint: '' },
    ]);
    expect(computePeers(all[1], all)).toEqual([
      { subnet: '10.20.2.0/24', wireguard_public_key: 'K1', allowed_ips: ['10.20.2.0/24', '100.64.20.2/32', '10.20.4.0/24', '100.64.20.4/32'], endpoint: '185.1.1.2:1001' },
    ]);
  });

  it('keeps keys, ports and subnets stable across an update that adds a node', () => {
    const a = planNetwork(inputs(), undefined, facts);
    const b = planNetwork(inputs({ nodes: [1, 2, 3, 4] }), { ...a, contractIds: {}, twinId: 7, state: 'ok' }, { ...facts, '4': { endpointIp: '', takenPorts: [] } });
    for (const n of ['1', '2', '3']) {
      expect(b.wgPrivateKeys[n]).toBe(a.wgPrivateKeys[n]);
      expect(b.wgPorts[n]).toBe(a.wgPorts[n]);
      expect(b.nodeSubnets[n]).toBe(a.nodeSubnets[n]);
    }
    expect(b.nodeSubnets['4']).toBe('10.20.5.0/24');
    // node 1 (public) now also peers with node 4
    expect((networkWorkloadData(b, 1).peers as unknown[]).length).toBe(3);
  });

  it('adds the access peer on the access node and a wg-quick config', () => {
    const p = planNetwork(inputs({ addWgAccess: true }), undefined, facts);
    expect(p.accessNodeId).toBe(1);
    expect(p.accessSubnet).toBe('10.20.5.0/24');
    expect(p.accessConfig).toContain(`Endpoint = 185.1.1.2:${p.wgPorts['1']}`);
    expect(p.accessConfig).toContain('Address = 100.64.20.5/32');
    expect(p.accessConfig).toContain('AllowedIPs = 10.20.0.0/16, 100.64.0.0/16');
    const peers1 = networkWorkloadData(p, 1).peers as { subnet: string }[];
    expect(peers1.map((x) => x.subnet)).toContain('10.20.5.0/24');
    const peers2 = networkWorkloadData(p, 2).peers as { allowed_ips: string[] }[];
    expect(peers2[0].allowed_ips).toContain('10.20.5.0/24');
  });

  it('refuses hidden nodes without any public node, and access without a public node', () => {
    const hidden = { '1': { endpointIp: '', takenPorts: [] }, '2': { endpointIp: '', takenPorts: [] } };
    expect(() => planNetwork(inputs({ nodes: [1, 2] }), undefined, hidden)).toThrow(/cannot reach each other.*|no node of the network has one/);
    expect(() => planNetwork(inputs({ nodes: [2], addWgAccess: true }), undefined, facts)).toThrow(/addWgAccess needs a node with a public IP/);
  });

  it('validates the range and the node list', () => {
    expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], ipRange: '8.8.0.0/16' }).success).toBe(false);
    expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], ipRange: '10.1.0.0/24' }).success).toBe(false);
    expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1, 1] }).success).toBe(false);
    expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], accessNode: 2 }).success).toBe(false);
  });

  describe('light nodes and given mycelium keys (issue 15)', () => {
    const light = { ...facts, '2': { endpointIp: '', takenPorts: [], light: true, wireguard: true }, '3': { endpointIp: '', takenPorts: [], light: true, wireguard: false } };

    it('types each node, gives every light node a mycelium key without mycelium, and keeps an old light node off WireGuard', () => {
      const p = planNetwork(inputs(), undefined, light);
      expect(p.nodeTypes).toEqual({ '1': 'network', '2': 'network-light', '3': 'network-light' });
      expect(Object.keys(p.myceliumKeys).sort()).toEqual(['2', '3']);
      expect(networkWorkloadData(p, 1).mycelium).toBeUndefined();
      // a light node with WireGuard: the full shape, its key, peering with node 1 only (node 3 has no WireGuard)
      const two = networkWorkloadData(p, 2);
      expect(two.mycelium).toEqual({ hex_key: p.myceliumKeys['2'], peers: [] });
      expect((two.peers as { subnet: string }[]).map((x) => x.subnet)).toEqual([p.nodeSubnets['1']]);
      // a light node without WireGuard: subnet and mycelium only, and nobody peers with it
      expect(networkWorkloadData(p, 3)).toEqual({ subnet: p.nodeSubnets['3'], mycelium: { hex_key: p.myceliumKeys['3'], peers: [] } });
      expect((networkWorkloadData(p, 1).peers as { subnet: string }[]).map((x) => x.subnet)).toEqual([p.nodeSubnets['2']]);
    });

    it('uses a given key (lowercased) over the kept one, keeps generated ones, drops keys of nodes that left', () => {
      const a = planNetwork(inputs({ mycelium: true }), undefined, facts);
      const given = 'AB'.repeat(32);
      const b = planNetwork(inputs({ mycelium: true, nodes: [1, 2], myceliumKeys: { '1': given } }), { ...a, contractIds: {}, twinId: 7, state: 'ok' }, facts);
      expect(b.myceliumKeys).toEqual({ '1': given.toLowerCase(), '2': a.myceliumKeys['2'] });
    });

    it('refuses keys for nodes outside the network, malformed keys, and keys without mycelium', () => {
      expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], mycelium: true, myceliumKeys: { '2': 'ab'.repeat(32) } }).success).toBe(false);
      expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], mycelium: true, myceliumKeys: { '1': 'ab' } }).success).toBe(false);
      expect(networkInputsSchema.safeParse({ name: 'n', nodes: [1], myceliumKeys: { '1': 'ab'.repeat(32) } }).success).toBe(false);
    });
  });
});
