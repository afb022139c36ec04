/**
 * The provider against the real pieces (DESIGN.md §5 level 1 on a real grid): the shared local TFChain
 * (chopsticks), our RMB relay, and two node runtimes (sim backend: node state only, the ZOS API, versioning, hash and
 * contract checks are real), through `provider/grid-connection.ts`. A network across a public and a hidden node, a
 * public IP + disk + machine in one deployment (the IP reserved on the contract at creation), growth in place, a gateway with its name contract, refresh drift,
 * and destroy leaving no active contract on the chain.
 */
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { parseNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import * as entry from '../../provider/dynamic-entry';
import { createGridConnection } from '../../provider/grid-connection';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestGrid } from '../helpers/chain';
import { tempDir } from '../node/fixtures';

type Props = Record<string, unknown>;

describe('provider on the local chain, relay and node runtimes', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  const nodes: NodeRuntime[] = [];
  const dirs: { remove(): void }[] = [];
  let twinId = 0;
  let transactions = 0;

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 3 });
    relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: ['localhost', '127.0.0.1'] });
    const chainUrl = await testChainUrl();
    for (const [i, n] of grid.nodes.entries()) {
      const tmp = tempDir(`tfg-prov-node${i}-`);
      dirs.push(tmp);
      const config = parseNodeConfig({
        dataDir: tmp.dir,
        backend: 'sim',
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [chainUrl] },
        relay: { urls: [relay.url] },
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        shuffleGet: true, // real nodes return workloads in map order
        ...(i === 0 ? { publicConfig: { ipv4: '185.69.0.50/24', gw4: '185.69.0.1', domain: `n1-${grid.tag}.grid.local` } } : {}),
      });
      const rt = await createNodeRuntime(config, { chain });
      await rt.peer.ready();
      nodes.push(rt);
    }
    const user = await freshAccount(chain, { type: 'sr25519' });
    const seed = `0x${Buffer.from(user.identity.seed).toString('hex')}`;
    await resetRuntime();
    setGridFactory(async (config) => {
      const conn = await createGridConnection({ ...config, chainUrls: [chainUrl], relayUrls: [relay.url], mnemonic: seed });
      const submit = conn.deps.chain.submit;
      conn.deps.chain.submit = (ops) => {
        transactions++;
        return submit(ops);
      };
      return conn;
    });
    entry.configure((k) => ({ 'tfgrid:coalesceMs': '50', 'tfgrid:network': 'test', 'tfgrid:deployTimeout': '60', 'tfgrid:rmbTimeout': '20' })[k]);
  }, 120_000);

  afterAll(async () => {
    await resetRuntime();
    setGridFactory(undefined);
    for (const n of nodes) await n.close();
    await relay?.close();
    await chain?.close();
    dirs.forEach((d) => d.remove());
  });

  async function up(type: string, raw: Props): Promise<{ id: string; outs: Props }> {
    const c = await entry.check(type, {}, raw);
    expect(c.failures ?? []).toEqual([]);
    const r = await entry.create(type, c.inputs as Props);
    return { id: r.id, outs: r.outs as Props };
  }

  it('brings up 30 machines on 3 nodes with unique IPs in one chain transaction for the machines', async () => {
    const ids = grid.nodes.map((n) => n.id);
    const net = await up('Network', { name: 'many', nodes: ids });
    const before = transactions;
    const group = `many${grid.tag}`;
    const machines = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        up('ZMachine', {
          node: ids[i % 3],
          deployment: group,
          name: `m${i}`,
          flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
          network: { name: 'many', subnets: net.outs.nodeSubnets },
          cpu: 1,
          memory: '256MiB',
        }),
      ),
    );
    expect(transactions - before).toBe(1);
    expect(new Set(machines.map((m) => m.outs.privateIp)).size).toBe(30);
    expect(machines.every((m) => m.outs.state === 'ok')).toBe(true);
    const contracts = [...new Set(machines.map((m) => Number(m.outs.contractId)))];
    expect(contracts).toHaveLength(3);
    await Promise.all(machines.map((m) => entry.delete('ZMachine', m.id, m.outs)));
    await entry.delete('Network', net.id, net.outs);
    expect(await activeContracts([...contracts, ...Object.values(net.outs.contractIds as Record<string, number>)])).toEqual([]);
  }, 300_000);

  async function activeContracts(ids: number[]): Promise<number[]> {
    const out: number[] = [];
    for (const id of ids) {
      const c = await chain.getContract(id);
      if (c && c.state !== 'deleted') out.push(id);
    }
    return out;
  }

  it('deploys, updates, refreshes and destroys real deployments', async () => {
    const [n1, n2] = grid.nodes.map((n) => n.id);
    const net = await up('Network', { name: 'net1', nodes: [n1, n2], addWgAccess: true });
    expect(net.outs.endpoints).toMatchObject({ [String(n1)]: '185.69.0.50', [String(n2)]: '' });
    expect(String(net.outs.accessConfig)).toContain('Endpoint = 185.69.0.50:');
    const netContracts = Object.values(net.outs.contractIds as Record<string, number>);
    expect(await activeContracts(netContracts)).toHaveLength(2);
    twinId = Number(net.outs.twinId);

    const group = `g${grid.tag}`;
    const [ip, disk] = await Promise.all([
      up('PublicIp', { node: n1, deployment: group, name: 'ip1' }),
      up('ZMount', { node: n1, deployment: group, name: 'data', size: '1GiB' }),
    ]);
    expect(ip.outs.contractId).toBe(disk.outs.contractId);
    expect(String(ip.outs.ip)).toBe(grid.farmIps[0].ip);
    const vm = await up('ZMachine', {
      node: n1,
      deployment: group,
      name: 'vm1',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'net1', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '512MiB',
      mounts: [{ name: 'data', node: n1, deployment: group, mountpoint: '/data' }],
    });
    expect(vm.outs.state).toBe('ok');
    expect(String(vm.outs.privateIp)).toMatch(/^10\.20\.2\.\d+$/);
    expect(vm.outs.contractId).toBe(disk.outs.contractId);
    const contract = Number(vm.outs.contractId);
    const onChain = await chain.getContract(contract);
    expect(onChain).toMatchObject({ type: 'node', nodeId: n1, twinId, publicIps: 1 });

    // a zdb in its own group on the hidden node, grown in place
    const db = await up('Zdb', { node: n2, deployment: group, name: 'db1', size: '1GiB' });
    expect(db.outs.namespace).toBe(`${twinId}-${db.outs.contractId}-db1`);
    const grownIn = (await entry.check('Zdb', db.outs, { ...db.outs, size: '2GiB' })).inputs as Props;
    const grown = (await entry.update('Zdb', db.id, db.outs, grownIn)).outs as Props;
    expect(grown).toMatchObject({ state: 'ok', version: 1 });

    // gateway: the name contract goes in the same transaction and is released on delete
    const sub = `app${grid.tag}`;
    const gw = await up('NameProxy', { node: n1, deployment: `gw${grid.tag}`, name: 'gw1', subdomain: sub, backends: [`http://${String(vm.outs.privateIp)}:8080`], network: 'net1' });
    expect(gw.outs.fqdn).toBe(`${sub}.n1-${grid.tag}.grid.local`);
    expect(await chain.getContractIdByName(sub)).toBe(gw.outs.nameContractId);

    // refresh: ok; a machine gone behind our back reads as gone
    expect((await entry.read('ZMachine', vm.id, vm.outs)).props).toMatchObject({ state: 'ok' });

    // destroy, newest first
    await entry.delete('NameProxy', gw.id, gw.outs);
    await entry.delete('Zdb', db.id, grown);
    await entry.delete('ZMachine', vm.id, vm.outs);
    await entry.delete('ZMount', disk.id, disk.outs);
    await entry.delete('PublicIp', ip.id, ip.outs);
    await entry.delete('Network', net.id, net.outs);
    const all = [...netContracts, contract, Number(db.outs.contractId), Number(gw.outs.contractId), Number(gw.outs.nameContractId)];
    expect(await activeContracts(all)).toEqual([]);
    expect((await entry.read('ZMount', disk.id, disk.outs)).id).toBe('');
  }, 300_000);
});
