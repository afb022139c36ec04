/**
 * The typed node-API client (zos-protocol.md §5.2) over a real relay, against a peer that answers `zos.*`
 * commands the way a node does: exact integers through the codec, `null` for no result, node texts unchanged.
 */
import { RmbError } from '../../protocol/common/errors';
import { createNodeClient, ZOS_COMMANDS, type NodeClient } from '../../protocol/rmb/node-client';
import { createRmbPeer, RawJson, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { deploymentToJson, parseDeployment, type Deployment } from '../../protocol/zos';
import { ownVectors, plainDeployment } from '../helpers/zos-vectors';
import { makeTwins } from './rmb-harness';

const BIG = '1152921504606846976'; // 2^60 bytes: past 2^53, must survive exactly

describe('node client', () => {
  let relay: Relay;
  let user: RmbPeer;
  let node: RmbPeer;
  let client: NodeClient;
  const stored = new Map<string, Deployment>();
  const seen: { command: string; raw: string }[] = [];

  beforeAll(async () => {
    const { twins, directory } = await makeTwins(2, 'relay.local');
    relay = await createRelay({ directory, domain: 'relay.local' });
    user = createRmbPeer({ identity: twins[0].identity, twinId: 1, relayUrls: [relay.url], directory });
    node = createRmbPeer({ identity: twins[1].identity, twinId: 2, relayUrls: [relay.url], directory, session: '' });
    const record = (command: string) => (_p: unknown, ctx: { raw: string }) => void seen.push({ command, raw: ctx.raw });
    node.handle(ZOS_COMMANDS.deploymentDeploy, (_p, ctx) => {
      const d = parseDeployment(ctx.raw);
      stored.set(String(d.contract_id), d);
      seen.push({ command: ctx.command, raw: ctx.raw });
    });
    node.handle(ZOS_COMMANDS.deploymentGet, (p) => {
      const d = stored.get(String((p as { contract_id: number }).contract_id));
      if (!d) throw new Error('deployment not found');
      return new RawJson(deploymentToJson(d));
    });
    node.handle(ZOS_COMMANDS.deploymentList, () => new RawJson(`[${[...stored.values()].map((d) => deploymentToJson(d)).join(',')}]`));
    node.handle(
      ZOS_COMMANDS.deploymentChanges,
      () => new RawJson(`[${[...stored.values()].flatMap((d) => d.workloads.map((w) => JSON.stringify({ ...w, data: {} }).replace('{}', `{"size":${BIG}}`))).join(',')}]`),
    );
    node.handle(ZOS_COMMANDS.deploymentDelete, () => {
      throw new Error('deletion over the api is disabled, please cancel your contract instead');
    });
    node.handle(ZOS_COMMANDS.systemVersion, () => ({ zos: 'v3.10.0', zinit: 'v0.2.14' }));
    node.handle(
      ZOS_COMMANDS.statisticsGet,
      () =>
        new RawJson(
          `{"total":{"cru":8,"sru":${BIG},"hru":0,"mru":17179869184,"ipv4u":0},"used":{"cru":1,"sru":0,"hru":0,"mru":0,"ipv4u":0},"system":{"cru":0,"sru":0,"hru":0,"mru":0,"ipv4u":0},"users":{"deployments":1,"workloads":1,"last_deployment_timestamp":0},"open_connections":0}`,
        ),
    );
    node.handle(ZOS_COMMANDS.networkListPrivateIps, (p, ctx) => {
      record(ctx.command)(p, ctx);
      return ['10.20.2.2'];
    });
    node.handle(ZOS_COMMANDS.networkListWgPorts, () => null);
    node.handle(ZOS_COMMANDS.networkHasIpv6, () => 'yes');
    client = createNodeClient(user, 2);
    await Promise.all([user.ready(), node.ready()]);
  });

  afterAll(async () => {
    await Promise.all([user.close(), node.close()]);
    await relay.close();
  });

  it('deploys through the zos codec so sizes past 2^53 arrive and come back exact', async () => {
    const disk = plainDeployment(ownVectors(), 'single_disk') as { contract_id: number; workloads: { data: { size: number } }[] };
    const text = JSON.stringify({ ...disk, contract_id: 77, workloads: [{ ...disk.workloads[0], data: { size: -1 } }] }).replace('"size":-1', `"size":${BIG}`);
    const d = parseDeployment(text);
    await expect(client.deployment.deploy(d)).resolves.toBeUndefined();
    expect(seen.find((s) => s.command === ZOS_COMMANDS.deploymentDeploy)?.raw).toContain(`"size":${BIG}`);
    const back = await client.deployment.get(77);
    expect(back.contract_id).toBe(77n);
    expect(back.workloads[0]).toMatchObject({ name: 'scratch', type: 'zmount', data: { size: BigInt(BIG) } });
    const list = await client.deployment.list();
    expect(list.map((x) => x.contract_id)).toEqual([77n]);
    const changes = await client.deployment.changes(77);
    expect(changes[0]).toMatchObject({ name: 'scratch', data: { size: BigInt(BIG) } });
  });

  it('surfaces node error texts unchanged', async () => {
    const missing = (await client.deployment.get(5).catch((e: unknown) => e)) as RmbError;
    expect(missing).toBeInstanceOf(RmbError);
    expect(missing.context.nodeMessage).toBe('deployment not found');
    const del = (await client.deployment.delete(77).catch((e: unknown) => e)) as RmbError;
    expect(del.context.nodeMessage).toBe('deletion over the api is disabled, please cancel your contract instead');
  });

  it('types system, statistics and network replies, u64 capacities as bigint, Go null lists as []', async () => {
    expect(await client.system.version()).toEqual({ zos: 'v3.10.0', zinit: 'v0.2.14' });
    const stats = await client.statistics.get();
    expect(stats.total.sru).toBe(BigInt(BIG));
    expect(stats.total.mru).toBe(17179869184n);
    expect(await client.network.listPrivateIps('net1')).toEqual(['10.20.2.2']);
    expect(JSON.parse(seen.find((s) => s.command === ZOS_COMMANDS.networkListPrivateIps)!.raw)).toEqual({ network_name: 'net1' });
    expect(await client.network.listWgPorts()).toEqual([]);
  });

  it('refuses a reply of the wrong shape with the command named', async () => {
    await expect(client.network.hasIpv6()).rejects.toThrow(/node twin 2 zos\.network\.has_ipv6: unexpected reply/);
  });

  it('reports an unimplemented command as the node does', async () => {
    const err = (await client.gpu.list().catch((e: unknown) => e)) as RmbError;
    expect(err.context.nodeMessage).toBe('function is not found');
  });
});
