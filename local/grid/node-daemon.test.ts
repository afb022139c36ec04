/**
 * The node configs the local grid writes (node/config.ts schema; DESIGN.md §4 "Local grid topology").
 */
import { parseNodeConfig } from '../../node/config';
import { nodeConfigFor, type NodeWiring } from './node-daemon';
import type { NodeState } from './state';

const node: NodeState = {
  index: 1,
  nodeId: 11,
  twinId: 21,
  farmId: 1,
  netns: 'gabc-n1',
  uplink: 'uplink',
  address: '198.18.0.11/16',
  domain: 'node1.tfgrid.test',
  publicIps: [],
  configFile: '/x/config.json',
  dataDir: '/x/data',
  seed: '11'.repeat(32),
};
const wiring: NodeWiring = {
  backend: 'linux',
  chainUrl: 'ws://127.0.0.1:8000',
  relayUrl: 'ws://127.0.0.1:8080',
  publicAddress: '198.18.0.11/16',
  prefix: 'gabc1',
  zdbPort: 9901,
  dns: '127.0.0.1:5353',
  ca: { certFile: '/x/grid-ca.crt', keyFile: '/x/grid-ca.key' },
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
