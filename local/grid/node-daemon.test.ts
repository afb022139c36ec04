/**
 * The node configs the local grid writes (node/config.ts schema) and the gateway bridge's network view in
 * node-main (DESIGN.md §4 "Local grid topology"; zos-protocol.md §1.2 NetID).
 */
import { parseNodeConfig } from '../../node/config';
import { networkId as md5NetworkId, type NetworkBackend, type NetworkInfo } from '../../node/backends/network/network';
import type { Engine } from '../../node/engine/engine';
import type { StoredDeployment } from '../../node/engine/storage';
import { networkId as zosNetworkId } from '../../protocol/zos';
import { nodeConfigFor, type NodeWiring } from './node-daemon';
import { bridgeNetworkView } from './node-main';
import type { NodeState } from './state';

const node: NodeState = {
  index: 1, nodeId: 11, twinId: 21, farmId: 1, netns: 'gabc-n1', uplink: 'uplink', address: '198.18.0.11/16',
  domain: 'node1.tfgrid.test', publicIps: [], configFile: '/x/config.json', dataDir: '/x/data', seed: '11'.repeat(32),
};
const wiring: NodeWiring = {
  backend: 'linux', chainUrl: 'ws://127.0.0.1:8000', relayUrl: 'ws://127.0.0.1:8080', publicAddress: '198.18.0.11/16',
  prefix: 'gabc1', zdbPort: 9901, dns: '127.0.0.1:5353', ca: { certFile: '/x/grid-ca.crt', keyFile: '/x/grid-ca.key' },
};

describe('nodeConfigFor', () => {
  it('linux: gateway listeners in the host netns, the grid DNS and CA, qsfs metrics on a free port', () => {
    const cfg = parseNodeConfig(nodeConfigFor(node, wiring), 'test');
    expect(cfg.linux).toEqual({ prefix: 'gabc1', hostNetns: 'gabc-n1', uplink: 'uplink' });
    expect(cfg.gateway).toMatchObject({ listenNetns: 'gabc-n1', dns: '127.0.0.1:5353', ca: wiring.ca, httpPort: 80, httpsPort: 443 });
    expect(cfg.gateway.listenHost).toBeUndefined(); // the proxy serves on the public config's address
    expect(cfg.publicConfig?.ipv4).toBe('198.18.0.11/16');
    expect(cfg.qsfs.metricsPort).toBe(0);
    expect(cfg.zdb.port).toBe(9901);
  });

  it('sim: no linux placement and no gateway wiring', () => {
    const cfg = parseNodeConfig(nodeConfigFor(node, { ...wiring, backend: 'sim' }), 'test');
    expect(cfg.linux).toBeUndefined();
    expect(cfg.gateway.listenNetns).toBeUndefined();
    expect(cfg.gateway.dns).toBeUndefined();
  });
});

describe('bridgeNetworkView', () => {
  const info = (netId: string): NetworkInfo => ({ netId, subnet: '10.20.2.0/24', ipRange: '10.20.0.0/16', gateway: '10.20.2.1', wgIp: '100.64.20.2/16', wgListenPort: 1, netns: `nr-${netId}` });
  const zosId = zosNetworkId(6, 'net1');
  const inner = { get: async (id: string) => (id === zosId ? info(id) : undefined) } as unknown as NetworkBackend;
  const dl = (twin: number, workloads: { type: string; name: string }[]) =>
    ({ twinId: twin, workloads: workloads.map((w) => ({ ...w, version: 0, data: '{}', metadata: '', description: '' })) }) as unknown as StoredDeployment;
  const engine = {
    twins: () => [5, 6],
    deployments: (twin: number) => (twin === 6 ? [dl(6, [{ type: 'zmachine', name: 'net1' }, { type: 'network', name: 'net1' }])] : [dl(5, [{ type: 'network', name: 'other' }])]),
  } as unknown as Engine;

  it('finds a network by the md5 id the gateway bridge asks for, through the engine’s network workloads', async () => {
    const view = bridgeNetworkView(inner, () => engine);
    expect(md5NetworkId(6, 'net1')).not.toBe(zosId);
    expect((await view.get(md5NetworkId(6, 'net1')))?.netns).toBe(`nr-${zosId}`);
    expect((await view.get(zosId))?.netId).toBe(zosId);
  });

  it('answers undefined for a network no twin deployed here, and before the engine exists', async () => {
    expect(await bridgeNetworkView(inner, () => engine).get(md5NetworkId(6, 'net2'))).toBeUndefined();
    expect(await bridgeNetworkView(inner, () => engine).get(md5NetworkId(5, 'net1'))).toBeUndefined();
    expect(await bridgeNetworkView(inner, () => undefined).get(md5NetworkId(6, 'net1'))).toBeUndefined();
  });
});
