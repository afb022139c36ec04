/**
 * A node is not ready before its boot recovery (zos-protocol.md §3.8; node/runtime `NodeRuntime.ready`, issue 19):
 * a gateway node that restarts on its data dir serves again the names of the name proxies it holds by the time it
 * says ready. Before, "node ready" came once RMB was served while the boot jobs still ran, so `tfgrid local up`
 * reported a restarted node whose gateway answered 404 for a page it was serving (CI, a loaded 2-core machine).
 * Here the sim backends take 1.5 s per provisioning call on the second start, which a too-early ready cannot hide.
 */
import { randomBytes } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { hashDeployment } from '../../protocol/zos';
import { silentLogger } from '../../protocol/common/log';
import { createNodeRuntime, createSimBackends, engineChainFrom, type NodeRuntime } from '../../node/runtime';
import type { Backends } from '../../node/engine/deps';
import type { NodeConfig } from '../../node/config';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestGrid } from '../helpers/chain';
import { buildDeployment, chainNodeConfig, signedPayload, tempDir } from './fixtures';

jest.setTimeout(120_000);

describe('a restarted gateway node', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  let tmp: { dir: string; remove(): void };
  let running: NodeRuntime | undefined;

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1 });
    relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: 'localhost' });
    tmp = tempDir('tfg-boot-ready-');
  });

  afterAll(async () => {
    await running?.close();
    await relay?.close();
    await chain?.close();
    tmp?.remove();
  });

  async function start(delayMs: number): Promise<{ node: NodeRuntime; backends: Backends }> {
    const n = grid.nodes[0];
    const config: NodeConfig = chainNodeConfig(
      tmp.dir,
      n.identity,
      { chainUrl: await testChainUrl(), relayUrl: relay.url },
      {
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        publicConfig: { ipv4: '185.69.0.50/24', gw4: '185.69.0.1', domain: `n1-${grid.tag}.grid.local` },
        sim: { delayMs },
      },
    );
    // Built here so that the test can read the gateway's route table.
    const backends = createSimBackends(config, engineChainFrom(chain, n.id));
    running = await createNodeRuntime(config, { chain, log: silentLogger, backends });
    return { node: running, backends };
  }

  it('serves the names it held again by the time it says ready', async () => {
    const user = await freshAccount(chain, { type: 'sr25519' });
    const twinId = (await user.chain.ensureTwin({ relay: 'localhost' })).id;
    const name = `br${randomBytes(4).toString('hex')}`;
    await user.chain.createNameContract(name);
    const d0 = buildDeployment(twinId, 0n, [{ name: 'gw', type: 'gateway-name-proxy', data: { name, tls_passthrough: false, backends: ['http://10.20.2.5:8080'] } }]);
    const c = await user.chain.createNodeContract({ nodeId: grid.nodes[0].id, hash: hashDeployment(d0) });
    const fqdn = `${name}.n1-${grid.tag}.grid.local`;

    const first = await start(0);
    await first.node.ready();
    await first.node.engine.deploy(twinId, signedPayload({ ...d0, contract_id: BigInt(c.contractId) }, user.identity));
    await first.node.engine.idle();
    expect(first.backends.gateway.routes().map((r) => r.fqdn)).toEqual([fqdn]);
    await first.node.close();
    running = undefined;

    // The same data dir, fresh backends (the routes lived in the old process); every provisioning call slow.
    const second = await start(1500);
    expect(second.backends.gateway.routes()).toEqual([]);
    await second.node.ready();
    expect(second.backends.gateway.routes().map((r) => r.fqdn)).toEqual([fqdn]);
    const stored = JSON.parse(second.node.engine.get(twinId, BigInt(c.contractId))) as { workloads: { result: { state: string } }[] };
    expect(stored.workloads.map((w) => w.result.state)).toEqual(['ok']);
  });
});
