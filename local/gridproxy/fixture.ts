/**
 * A small grid index for the grid proxy's unit tests and the official-client test: two farms (one dedicated,
 * with public IPs), four nodes (one down, one rented, one gateway with IPv6), twins and contracts of each type.
 * @module
 */
import type { GridIndex, IndexedNode } from './model';

const GIB = 1024 ** 3;
const NOW = 1_700_000_000;

function node(nodeId: number, farmId: number, o: Partial<IndexedNode> = {}): IndexedNode {
  return {
    nodeId,
    farmId,
    twinId: 100 + nodeId,
    created: NOW - 1000,
    country: 'Belgium',
    city: 'Ghent',
    latitude: 51.05,
    longitude: 3.72,
    certificationType: 'Diy',
    total: { cru: 8, sru: 1024 * GIB, hru: 2048 * GIB, mru: 32 * GIB },
    serialNumber: '',
    features: ['zmount', 'network', 'zdb', 'zmachine', 'volume', 'ipv4', 'ip', 'gateway-name-proxy', 'gateway-fqdn-proxy', 'qsfs', 'zlogs', 'yggdrasil', 'mycelium', 'wireguard'],
    report: { at: NOW - 5, since: NOW - 500, used: { cru: 1, sru: 100 * GIB, hru: 0, mru: 4 * GIB }, deployments: 1, workloads: 2 },
    ...o,
  };
}

export function fixtureIndex(): GridIndex {
  return {
    now: NOW,
    downAfterS: 60,
    farms: [
      {
        farmId: 1,
        name: 'Freefarm',
        twinId: 10,
        pricingPolicyId: 1,
        certificationType: 'NotCertified',
        stellarAddress: '',
        dedicated: false,
        publicIps: [
          { id: '1-a', ip: '185.69.166.10/24', gateway: '185.69.166.1', contractId: 0 },
          { id: '1-b', ip: '185.69.166.11/24', gateway: '185.69.166.1', contractId: 7 },
        ],
      },
      { farmId: 2, name: 'dedifarm', twinId: 20, pricingPolicyId: 1, certificationType: 'Gold', stellarAddress: '', dedicated: true, publicIps: [] },
    ],
    nodes: [
      node(1, 1, { publicConfig: { ipv4: '185.69.166.2/24', gw4: '185.69.166.1', ipv6: '2a02:1802:5e::2/64', gw6: '2a02:1802:5e::1', domain: 'gw1.example.com' } }),
      node(2, 1, { country: 'Egypt', city: 'Cairo', report: { at: NOW - 3, since: NOW - 100, used: { cru: 6, sru: 900 * GIB, hru: 0, mru: 30 * GIB }, deployments: 3, workloads: 9 } }),
      node(3, 1, { report: { at: NOW - 600, since: NOW - 900, used: { cru: 0, sru: 0, hru: 0, mru: 0 }, deployments: 0, workloads: 0 } }),
      node(4, 2, { certificationType: 'Certified' }),
    ],
    twins: [
      { twinId: 10, accountId: '5Farmer', relay: 'relay.example.com', publicKey: '0x01' },
      { twinId: 42, accountId: '5User', relay: 'relay.example.com', publicKey: '0x02' },
    ],
    contracts: [
      { contractId: 7, twinId: 42, state: 'Created', type: 'node', createdAt: NOW - 50, nodeId: 2, deploymentHash: 'abc', deploymentData: '{}', numberOfPublicIps: 1 },
      { contractId: 8, twinId: 42, state: 'Created', type: 'name', createdAt: NOW - 40, name: 'web' },
      { contractId: 9, twinId: 42, state: 'Created', type: 'rent', createdAt: NOW - 30, nodeId: 4 },
      { contractId: 10, twinId: 42, state: 'Deleted', type: 'node', createdAt: NOW - 20, nodeId: 1, deploymentHash: 'def', deploymentData: '', numberOfPublicIps: 0 },
    ],
  };
}

/**
 * The same grid with GPUs (upstream's card ids `<pci slot>/<vendor id>/<device id>`): node 1 has a free NVIDIA A100,
 * node 3 an AMD Radeon used by contract 12; nodes 2 and 4 have none.
 */
export function gpuFixtureIndex(): GridIndex {
  const ix = fixtureIndex();
  const cards: Record<number, IndexedNode['gpus']> = {
    1: [{ id: '0000:0e:00.0/10de/20b0', vendor: 'NVIDIA Corporation', device: 'GA100 [A100 SXM4 40GB]', contract: 0 }],
    3: [{ id: '0000:41:00.0/1002/744c', vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', device: 'Navi 31 [Radeon RX 7900 XT/7900 XTX]', contract: 12 }],
  };
  for (const n of ix.nodes) n.gpus = cards[n.nodeId] ?? [];
  return ix;
}
