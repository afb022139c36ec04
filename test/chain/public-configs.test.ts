/**
 * `addNodePublicConfigs`: a farmer sets several nodes' public configs in one `utility.batchAll` (rmb-tfchain.md
 * §B1 addNodePublicConfig; the local grid registers its nodes this way, one block instead of one per node).
 * All or none: one config the chain refuses leaves every node as it was.
 * @module
 */
import { randomBytes } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import { ChainError } from '../../protocol/common/errors';
import { bootstrapTestGrid, connectTestChain, type TestGrid } from '../helpers/chain';

describe('ChainClient.addNodePublicConfigs', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let farmer: ChainClient;
  const octet = randomBytes(1)[0];
  const config = (n: number) => ({ ip4: { ip: `185.70.${octet}.${n}/24`, gw: `185.70.${octet}.1` }, domain: `pc${n}-${octet}.grid.local` });

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 3 });
    farmer = await chain.withSigner(grid.farmer);
  });

  afterAll(async () => {
    await chain?.close();
  });

  it('sets none when the chain refuses one of them', async () => {
    const [, n2, n3] = grid.nodes;
    // 198.18/15 is not a public address: TFChain refuses it as a public config
    const bad = { ip4: { ip: '198.18.0.12/16', gw: '198.18.0.1' } };
    await expect(
      farmer.addNodePublicConfigs(grid.farmId, [
        { nodeId: n2.id, config: config(20) },
        { nodeId: n3.id, config: bad },
      ]),
    ).rejects.toBeInstanceOf(ChainError);
    expect((await chain.getNode(n2.id))?.publicConfig ?? undefined).toBeUndefined();
    expect((await chain.getNode(n3.id))?.publicConfig ?? undefined).toBeUndefined();
  });

  it('sets every node its own config', async () => {
    const [, n2, n3] = grid.nodes;
    await farmer.addNodePublicConfigs(grid.farmId, [
      { nodeId: n2.id, config: config(21) },
      { nodeId: n3.id, config: config(22) },
    ]);
    const [p2, p3] = await Promise.all([chain.getNode(n2.id), chain.getNode(n3.id)]);
    expect({ ip: p2?.publicConfig?.ip4.ip, domain: p2?.publicConfig?.domain }).toEqual({ ip: config(21).ip4.ip, domain: config(21).domain });
    expect({ ip: p3?.publicConfig?.ip4.ip, domain: p3?.publicConfig?.domain }).toEqual({ ip: config(22).ip4.ip, domain: config(22).domain });
  });

  it('does nothing for an empty list and sends a single config as one call', async () => {
    await expect(farmer.addNodePublicConfigs(grid.farmId, [])).resolves.toBeUndefined();
    const [n1] = grid.nodes;
    await farmer.addNodePublicConfigs(grid.farmId, [{ nodeId: n1.id, config: config(23) }]);
    expect((await chain.getNode(n1.id))?.publicConfig?.domain).toBe(config(23).domain);
  });
});
