/**
 * Interop (rmb-tfchain.md §A.x, issue 5): ThreeFold's own `@threefold/rmb_direct_client` 2.9.2, unchanged,
 * deploys to our node through our relay on the local chain: version, deploy (`null` reply), polling `get`
 * until ok, an update, `changes`, the delete refusal, and the cancel on chain. The deployment is signed with
 * polkadot-js `Keyring` (sr25519), as grid_client signs.
 *
 * The official client derives its twin's relay from the relay URL (`wss://<host>/`, port 443), so the relay
 * serves TLS with a throwaway certificate on a loopback address of this run (root needed for port 443).
 */
import { generateKeyPairSync, randomBytes } from 'crypto';
import * as path from 'path';
import type * as tls from 'tls';
import * as forge from 'node-forge';
import { Keyring } from '@polkadot/keyring';
import { compactAddLength } from '@polkadot/util';
import { e2ePublicKey } from '../../protocol/rmb/e2e';
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { deploymentToJson, hashDeployment, signingMessage, type Deployment } from '../../protocol/zos';
import { parseNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { describeWithTools } from '../helpers/require-tools';
import { buildDeployment, GIB, SAMPLE, tempDir } from './fixtures';

function selfSigned(host: string): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: host }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: host }] }]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}

/** The twin with relay and e2e pk set (pk passed length-prefixed if protocol/chain hands raw bytes through). */
async function ensureTwinWithPk(acc: TestAccount, relay: string): Promise<number> {
  const pk = e2ePublicKey(acc.identity.seed);
  try {
    return (await acc.chain.ensureTwin({ relay, pk })).id;
  } catch (err) {
    if (!/Compact input/.test(String(err))) throw err;
    return (await acc.chain.ensureTwin({ relay, pk: compactAddLength(pk) })).id;
  }
}

interface OfficialClient {
  connect(): Promise<void>;
  send(cmd: string, data: string, twin: number, expirationMinutes: number): Promise<string>;
  read(uid: string): Promise<unknown>;
  disconnect(): Promise<void>;
  disconnectAndExit(): void;
}

interface WireWorkload {
  name: string;
  version: number;
  result: { state: string; message: string };
}

describeWithTools([], { root: true })('node with the official rmb_direct_client', () => {
  const HOST = `127.${30 + (process.pid % 200)}.${(process.pid >> 8) % 250}.${1 + Math.floor(Math.random() * 250)}`;
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  let node: NodeRuntime;
  let user: TestAccount;
  let userTwin: number;
  let official: OfficialClient;
  let tmp: { dir: string; remove(): void };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const realTls = require('tls') as typeof tls;
  const originalConnect = realTls.connect;

  /** Signs like grid_client: polkadot-js Keyring sr25519 over the raw md5 digest, hex without 0x. */
  const gridClientSign = (d: Deployment): Deployment => {
    const pair = new Keyring({ type: 'sr25519' }).addFromSeed(user.identity.seed);
    const signature = Buffer.from(pair.sign(signingMessage(d))).toString('hex');
    return { ...d, signature_requirement: { ...d.signature_requirement, signatures: [{ twin_id: userTwin, signature, signature_type: 'sr25519' }] } };
  };
  const call = async (cmd: string, data: unknown): Promise<unknown> => official.read(await official.send(cmd, data === undefined ? '' : typeof data === 'string' ? data : JSON.stringify(data), node.twinId, 1));

  beforeAll(async () => {
    const cert = selfSigned(HOST);
    const patched = (...args: unknown[]) => {
      const o = args[0] as tls.ConnectionOptions | undefined;
      if (o && typeof o === 'object' && o.host === HOST) args[0] = { ...o, ca: cert.cert };
      return (originalConnect as (...a: unknown[]) => tls.TLSSocket).apply(realTls, args);
    };
    (realTls as { connect: unknown }).connect = patched;
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1 });
    const directory = createChainTwinDirectory(chain, { ttlMs: 2000 });
    relay = await createRelay({ host: HOST, port: 443, tls: cert, directory, domain: [HOST, 'localhost'] });
    tmp = tempDir('tfg-official-');
    const n = grid.nodes[0];
    node = await createNodeRuntime(
      parseNodeConfig({
        dataDir: tmp.dir,
        backend: 'sim',
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [await testChainUrl()] },
        relay: { urls: [relay.url] },
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
      }),
      { chain },
    );
    await node.peer.ready();
    user = await freshAccount(chain, { type: 'sr25519' });
    // The official client updates the twin unless relay and pk already match (it then waits on its own tx).
    userTwin = await ensureTwinWithPk(user, HOST);
    const dir = path.dirname(require.resolve('@threefold/rmb_direct_client'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require(path.join(dir, 'client')) as { Client: new (chainUrl: string, relayUrl: string, mnemonic: string, session: string, keyType: string, retries: number) => OfficialClient };
    official = new Client(await testChainUrl(), `wss://${HOST}/`, '0x' + Buffer.from(user.identity.seed).toString('hex'), 'official', 'sr25519', 3);
    await official.connect();
  });

  afterAll(async () => {
    if (official) {
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2'] as const) process.removeListener(sig, official.disconnectAndExit);
      await official.disconnect();
    }
    await node?.close();
    await relay?.close();
    await chain?.close();
    tmp?.remove();
    (realTls as { connect: unknown }).connect = originalConnect;
  });

  async function okStates(contract: bigint, names: string[]): Promise<Record<string, string>> {
    for (let i = 0; i < 30; i++) {
      const got = (await call('zos.deployment.get', { contract_id: Number(contract) })) as { workloads: WireWorkload[] };
      const have = got.workloads.map((w) => w.name).sort().join(',');
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
      ...buildDeployment(userTwin, d.contract_id, [{ ...SAMPLE.disk, version: 0 }, { ...SAMPLE.db, version: 1, data: { ...SAMPLE.db.data, size: Number(2n * GIB) } }], { version: 1, metadata: d.metadata }),
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
