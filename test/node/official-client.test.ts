/**
 * Interop (rmb-tfchain.md §A.x, issue 5): ThreeFold's own `@threefold/rmb_direct_client` 2.9.2, unchanged,
 * deploys to our node through our relay on the local chain: version, deploy (`null` reply), polling `get`
 * until ok, an update, `changes`, the delete refusal, and the cancel on chain. The deployment is signed with
 * polkadot-js `Keyring` (sr25519), as grid_client signs.
 *
 * The official client derives its twin's relay from the relay URL (`wss://<host>/`, port 443), so the relay
 * serves TLS with a throwaway certificate on a loopback address of this run (root needed for port 443).
 */
import { Keyring } from '@polkadot/keyring';
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { deploymentToJson, hashDeployment, signingMessage, type Deployment } from '../../protocol/zos';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { closeOfficialClient, ensureTwinWithE2eKey, officialClient, officialRelayTls, type OfficialClient, type OfficialRelayTls } from '../helpers/official-rmb';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, chainNodeConfig, GIB, SAMPLE, tempDir } from './fixtures';

interface WireWorkload {
  name: string;
  version: number;
  result: { state: string; message: string };
}

describeWithTools([], { root: true })('node with the official rmb_direct_client', () => {
  let tlsHost: OfficialRelayTls;
  let HOST: string;
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  let node: NodeRuntime;
  let user: TestAccount;
  let userTwin: number;
  let official: OfficialClient;
  let tmp: { dir: string; remove(): void };

  /** Signs like grid_client: polkadot-js Keyring sr25519 over the raw md5 digest, hex without 0x. */
  const gridClientSign = (d: Deployment): Deployment => {
    const pair = new Keyring({ type: 'sr25519' }).addFromSeed(user.identity.seed);
    const signature = Buffer.from(pair.sign(signingMessage(d))).toString('hex');
    return { ...d, signature_requirement: { ...d.signature_requirement, signatures: [{ twin_id: userTwin, signature, signature_type: 'sr25519' }] } };
  };
  const call = async (cmd: string, data: unknown): Promise<unknown> =>
    official.read(await official.send(cmd, data === undefined ? '' : typeof data === 'string' ? data : JSON.stringify(data), node.twinId, 1));

  beforeAll(async () => {
    tlsHost = officialRelayTls(30);
    HOST = tlsHost.host;
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1 });
    const directory = createChainTwinDirectory(chain, { ttlMs: 2000 });
    relay = await createRelay({ host: HOST, port: 443, tls: tlsHost.tls, directory, domain: [HOST, 'localhost'] });
    tmp = tempDir('tfg-official-');
    const n = grid.nodes[0];
    node = await createNodeRuntime(
      chainNodeConfig(
        tmp.dir,
        n.identity,
        { chainUrl: await testChainUrl(), relayUrl: relay.url },
        {
          node: { id: n.id, farmId: grid.farmId },
          resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        },
      ),
      { chain },
    );
    await node.peer.ready();
    user = await freshAccount(chain, { type: 'sr25519' });
    // The official client updates the twin unless relay and pk already match (it then waits on its own tx).
    userTwin = await ensureTwinWithE2eKey(user, HOST);
    official = officialClient(await testChainUrl(), HOST, user, 'official');
    await official.connect();
  });

  afterAll(async () => {
    if (official) await closeOfficialClient(official);
    await node?.close();
    await relay?.close();
    await chain?.close();
    tmp?.remove();
    tlsHost?.restore();
  });

  async function okStates(contract: bigint, names: string[]): Promise<Record<string, string>> {
    for (let i = 0; i < 30; i++) {
      const got = (await call('zos.deployment.get', { contract_id: Number(contract) })) as { workloads: WireWorkload[] };
      const have = got.workloads
        .map((w) => w.name)
        .sort()
        .join(',');
      if (have === [...names].sort().join(',') && got.workloads.every((w) => w.result.state === 'ok' || w.result.state === 'error')) {
        return Object.fromEntries(got.workloads.map((w) => [w.name, w.result.state]));
      }
    }
    throw new Error('deployment did not settle');
  }

  it('deploys, updates and cancels through the official client', async () => {
    expect(await call('zos.system.version', undefined)).toEqual({ zos: expect.any(String), zinit: expect.any(String) });
    const d0 = buildDeployment(userTwin, 0n, [SAMPLE.disk, SAMPLE.net, SAMPLE.db], { metadata: `{"type":"vm","name":"o${grid.tag}"}` });
    const c = await user.chain.createNodeContract({ nodeId: node.nodeId, hash: hashDeployment(d0) });
    const d = { ...d0, contract_id: BigInt(c.contractId) };
    expect(await call('zos.deployment.deploy', deploymentToJson(gridClientSign(d)))).toBeNull();
    expect(await okStates(d.contract_id, ['disk', 'net', 'db'])).toEqual({ disk: 'ok', net: 'ok', db: 'ok' });

    // grid_client builds the update from `get`: bump, change the zdb, drop the network
    const v1 = {
      ...buildDeployment(
        userTwin,
        d.contract_id,
        [
          { ...SAMPLE.disk, version: 0 },
          { ...SAMPLE.db, version: 1, data: { ...SAMPLE.db.data, size: Number(2n * GIB) } },
        ],
        { version: 1, metadata: d.metadata },
      ),
      contract_id: d.contract_id,
    };
    await user.chain.updateNodeContract({ contractId: c.contractId, hash: hashDeployment(v1) });
    expect(await call('zos.deployment.update', deploymentToJson(gridClientSign(v1)))).toBeNull();
    expect(await okStates(d.contract_id, ['disk', 'db'])).toEqual({ disk: 'ok', db: 'ok' });
    const changes = (await call('zos.deployment.changes', { contract_id: c.contractId })) as WireWorkload[];
    expect(changes.filter((w) => w.name === 'net').map((w) => w.result.state)).toEqual(['init', 'ok', 'deleted']);
    await expect(call('zos.deployment.delete', { contract_id: c.contractId })).rejects.toThrow('deletion over the api is disabled, please cancel your contract instead');

    await user.chain.cancelContract(c.contractId);
    let message = '';
    for (let i = 0; i < 20 && !message; i++) {
      message = await call('zos.deployment.get', { contract_id: c.contractId }).then(
        () => '',
        (err: Error) => err.message,
      );
    }
    expect(message).toContain('deployment not found');
  });
});
