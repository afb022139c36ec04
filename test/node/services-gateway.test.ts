/**
 * Gateway workloads through the node engine on the real services (issues 5 + 9; zos-protocol.md §1.5
 * gateway-name-proxy / gateway-fqdn-proxy, §4, §6.5): the engine runs on `createLinuxNodeBackends` against the
 * shared test chain. A plain node HTTP server runs inside the twin's private network (the NR namespace the
 * real network backend built), and the proxies reach it through the node's netns bridge:
 * - a name proxy is refused until its name contract exists on chain, then serves the page over HTTP and
 *   over TLS with a certificate of the grid CA given in the node config;
 * - an FQDN proxy is refused until the grid DNS points the name at the node, then serves;
 * - a cancelled contract stops serving;
 * - a name proxy whose name contract was cancelled behind the node's back is refused, with the §6.5 text, when
 *   the restarted node provisions it again at boot (§3.8), and is no longer served;
 * - without a restart, the periodic name-contract check (zosbase `nameContractsValidator`, once per interval: the
 *   manager's clock is moved forward) stops serving it and fails the workload with the same text;
 * - with `gateway.listenNetns` the public listeners live in another namespace and reach the proxy.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'child_process';
import { promisify } from 'util';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { randomBytes } from 'crypto';
import { systemClock } from '../../protocol/common/clock';
import { silentLogger } from '../../protocol/common/log';
import type { ChainClient } from '../../protocol/chain';
import { hashDeployment } from '../../protocol/zos';
import { createEngine, type Engine } from '../../node/engine/engine';
import { MANAGERS } from '../../node/engine/managers';
import { createGatewayNameProxyManager, DEFAULT_NAME_CONTRACT_CHECK_MS } from '../../node/engine/managers/gateway-name-proxy';
import { openStorage, type Storage } from '../../node/engine/storage';
import type { Backends } from '../../node/engine/deps';
import { parseNodeConfig } from '../../node/config';
import { createLinuxNodeBackends, createNodeServices, createSimBackends, engineChainFrom, factsFrom } from '../../node/runtime';
import { createGridCa } from '../../node/backends/gateway/grid-ca';
import type { NetworkBackend, NetworkInfo } from '../../node/backends/network/network';
import { netIdOf } from '../../node/engine/wire';
import { startGridDns, type GridDns } from '../../local/dns/grid-dns';
import { describeWithTools } from '../helpers/require-tools';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { buildDeployment, MemoryChain, SAMPLE, signedPayload, simConfig, tempDir, type WorkloadSpec } from './fixtures';

const NODE_IP = '185.69.0.50';
const execFileAsync = promisify(execFile);

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function getTls(port: number, host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, ca }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Runs a node script inside `netns`, resolving once it prints `ready`. */
function startIn(netns: string, script: string): Promise<ChildProcess> {
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`script in ${netns} exited with ${code}: ${err}`)));
  });
}

describeWithTools(['ip', 'wireguard-go'], { root: true })('gateway workloads through the engine on the real proxy', () => {
  const prefix = `g${(process.pid % 46656).toString(36)}`;
  const hostNetns = `${prefix}host`;
  let chain: ChainClient;
  let grid: TestGrid;
  let user: TestAccount;
  let twin: number;
  let dns: GridDns;
  let engine: Engine;
  let storage: Storage;
  let backends: Backends;
  let tmp: { dir: string; remove(): void };
  let server: ChildProcess | undefined;
  let domain: string;
  let httpPort: number;
  let httpsPort: number;
  let startNode: () => Promise<void>;
  const ca = createGridCa();
  /** How far the name-proxy manager's clock is ahead of the system clock (moved to make its check due). */
  let nameCheckSkew = 0;

  /** Contract on chain for the workloads, deployed through the engine; the workloads' results by name. */
  async function deploy(workloads: WorkloadSpec[]): Promise<{ contract: bigint; results: Record<string, { state: string; message: string; data: unknown }> }> {
    const d0 = buildDeployment(twin, 0n, workloads, { metadata: randomBytes(6).toString('hex') });
    const c = await user.chain.createNodeContract({ nodeId: grid.nodes[0].id, hash: hashDeployment(d0) });
    const d = { ...d0, contract_id: BigInt(c.contractId) };
    await engine.deploy(twin, signedPayload(d, user.identity, twin));
    await engine.idle();
    const got = JSON.parse(engine.get(twin, d.contract_id)) as { workloads: { name: string; result: { state: string; message: string; data: unknown } }[] };
    return { contract: d.contract_id, results: Object.fromEntries(got.workloads.map((w) => [w.name, w.result])) };
  }

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', hostNetns]);
    execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'lo', 'up']);
    tmp = tempDir('tfg-svc-gw-');
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1 });
    user = await freshAccount(chain);
    twin = (await user.chain.ensureTwin({ relay: 'localhost' })).id;
    dns = await startGridDns({ log: silentLogger }, { host: '127.0.0.1', port: 0 });
    domain = `n1-${grid.tag}.grid.local`;
    const n = grid.nodes[0];
    const config = parseNodeConfig({
      dataDir: tmp.dir,
      backend: 'linux',
      identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
      chain: { urls: [await testChainUrl()] },
      relay: { urls: ['ws://127.0.0.1:1'] },
      node: { id: n.id, farmId: grid.farmId },
      resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
      publicConfig: { ipv4: `${NODE_IP}/24`, gw4: '185.69.0.1', domain },
      linux: { prefix, hostNetns },
      zdb: { port: 0, addresses: ['127.0.0.1'] },
      qsfs: { metricsPort: 0 },
      gateway: { listenHost: '127.0.0.1', httpPort: 0, httpsPort: 0, dns: dns.address, caPem: { certPem: ca.certPem, keyPem: ca.keyPem }, runDir: `/run/tfg-${prefix}` },
    });
    const engineChain = engineChainFrom(chain, n.id);
    // Backends, storage and engine on the node's data dir; called again to restart the node (boot, §3.8).
    startNode = async () => {
      backends = await createLinuxNodeBackends(config, engineChain, silentLogger);
      const gw = backends.gateway as Backends['gateway'] & { httpPort: number; httpsPort: number };
      httpPort = gw.httpPort;
      httpsPort = gw.httpsPort;
      storage = openStorage(tmp.dir);
      const nameProxies = createGatewayNameProxyManager({ clock: { now: () => Date.now() + nameCheckSkew } });
      engine = createEngine(
        { chain: engineChain, backends, clock: systemClock, log: silentLogger },
        { storage, facts: factsFrom(config, { nodeId: n.id, twinId: n.twinId, farmerTwinId: 1 }), managers: { ...MANAGERS, 'gateway-name-proxy': nameProxies } },
      );
      await engine.start();
    };
    await startNode();

    const net = await deploy([SAMPLE.net]);
    expect(net.results.net).toMatchObject({ state: 'ok', message: '' });
    const nr = await backends.network.get(netIdOf(twin, 'net'));
    server = await startIn(
      nr!.netns,
      "require('http').createServer((q, s) => s.end('page for ' + q.headers.host + ' via ' + (q.headers['x-forwarded-proto'] || '?'))).listen(8080, '10.20.2.1', () => console.log('ready'))",
    );
  }, 120_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await engine?.close();
    storage?.close();
    if (backends) for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) await b.close().catch(() => undefined);
    await dns?.close();
    await chain?.close();
    fs.rmSync(`/run/tfg-${prefix}`, { recursive: true, force: true });
    try {
      execFileSync('ip', ['netns', 'del', hostNetns]);
    } catch {
      // already gone
    }
    tmp?.remove();
  });

  it('refuses a name proxy before its name contract exists, then serves the page over HTTP and TLS', async () => {
    const name = `web${grid.tag}`;
    const host = `${name}.${domain}`;
    const proxy: WorkloadSpec = { name: 'web', type: 'gateway-name-proxy', data: { name, tls_passthrough: false, backends: ['http://10.20.2.1:8080'], network: 'net' } };
    const before = await deploy([proxy]);
    expect(before.results.web).toMatchObject({ state: 'error', message: 'failed to verify name contract: a name contract with the given name must be reserved first' });
    expect((await get(httpPort, host)).status).toBe(404);

    await user.chain.createNameContract(name);
    const after = await deploy([proxy]);
    expect(after.results.web).toMatchObject({ state: 'ok', message: '', data: { fqdn: host } });
    expect(await get(httpPort, host)).toEqual({ status: 200, body: `page for ${host} via http` });
    expect(await getTls(httpsPort, host, ca.certPem)).toEqual({ status: 200, body: `page for ${host} via https` });
  });

  it('serves an FQDN proxy once the grid DNS points it at the node, and stops when the contract is cancelled', async () => {
    const fqdn = `app-${grid.tag}.example.test`;
    const proxy: WorkloadSpec = { name: 'site', type: 'gateway-fqdn-proxy', data: { fqdn, tls_passthrough: false, backends: ['http://10.20.2.1:8080'], network: 'net' } };
    const before = await deploy([proxy]);
    expect(before.results.site).toMatchObject({ state: 'error', message: `failed to verify domain dns record: lookup ${fqdn}: no such host` });

    dns.setHost(fqdn, ['10.1.2.3']);
    const elsewhere = await deploy([proxy]);
    expect(elsewhere.results.site).toMatchObject({ state: 'error', message: "failed to verify domain dns record: host doesn't point to the gateway ip" });

    dns.setHost(fqdn, [NODE_IP]);
    const after = await deploy([proxy]);
    expect(after.results.site).toMatchObject({ state: 'ok', message: '' });
    expect(await get(httpPort, fqdn)).toEqual({ status: 200, body: `page for ${fqdn} via http` });

    engine.onContractEvent({ kind: 'cancelled', contractId: after.contract });
    await engine.idle();
    expect((await get(httpPort, fqdn)).status).toBe(404);
  });

  it('stops serving a name proxy whose name contract was cancelled at the next periodic check, without a restart', async () => {
    const name = `tick${grid.tag}`;
    const host = `${name}.${domain}`;
    const proxy: WorkloadSpec = { name: 'ticked', type: 'gateway-name-proxy', data: { name, tls_passthrough: false, backends: ['http://10.20.2.1:8080'], network: 'net' } };
    const nc = await user.chain.createNameContract(name);
    const d = await deploy([proxy]);
    expect(d.results.ticked).toMatchObject({ state: 'ok', message: '', data: { fqdn: host } });

    await user.chain.cancelContract(nc.contractId);
    // not due yet (ZOS checks hourly): still served
    await engine.checkHealth();
    expect(await get(httpPort, host)).toEqual({ status: 200, body: `page for ${host} via http` });

    nameCheckSkew += DEFAULT_NAME_CONTRACT_CHECK_MS;
    await engine.checkHealth();
    const got = JSON.parse(engine.get(twin, d.contract)) as { workloads: { name: string; result: { state: string; message: string } }[] };
    expect(got.workloads.find((w) => w.name === 'ticked')?.result).toMatchObject({
      state: 'error',
      message: 'failed to verify name contract: a name contract with the given name must be reserved first',
    });
    expect((await get(httpPort, host)).status).toBe(404);
  });

  // Restarts the node: the backend server's network namespace does not survive it, so this test stays last.
  it('refuses a name proxy at boot once its name contract was cancelled, and no longer serves it (§3.8, §6.5)', async () => {
    const name = `boot${grid.tag}`;
    const host = `${name}.${domain}`;
    const proxy: WorkloadSpec = { name: 'named', type: 'gateway-name-proxy', data: { name, tls_passthrough: false, backends: ['http://10.20.2.1:8080'], network: 'net' } };
    const nc = await user.chain.createNameContract(name);
    const d = await deploy([proxy]);
    expect(d.results.named).toMatchObject({ state: 'ok', message: '', data: { fqdn: host } });
    expect(await get(httpPort, host)).toEqual({ status: 200, body: `page for ${host} via http` });

    // The name contract goes away behind the node's back (e.g. cancelled from the dashboard); the node restarts.
    await user.chain.cancelContract(nc.contractId);
    await engine.close();
    storage.close();
    for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) await b.close();
    await startNode();
    await engine.idle();

    // Boot re-provisions every ok workload; the gateway checks the name contract again and refuses it.
    const got = JSON.parse(engine.get(twin, d.contract)) as { workloads: { name: string; result: { state: string; message: string } }[] };
    expect(got.workloads.find((w) => w.name === 'named')?.result).toMatchObject({
      state: 'error',
      message: 'failed to verify name contract: a name contract with the given name must be reserved first',
    });
    expect((await get(httpPort, host)).status).toBe(404);
  });
});

describeWithTools(['ip'], { root: true })('gateway public listeners in another namespace', () => {
  const ns = `p${(process.pid % 46656).toString(36)}pub`;
  let tmp: { dir: string; remove(): void };

  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', ns, 'addr', 'add', '10.99.0.2/32', 'dev', 'lo']);
    tmp = tempDir('tfg-svc-pub-');
  });

  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      // already gone
    }
    fs.rmSync(`/run/tfg-${ns}`, { recursive: true, force: true });
    tmp?.remove();
  });

  it('binds 80/443 in the namespace and relays to the proxy, which serves a name proxy there', async () => {
    const chain = new MemoryChain();
    chain.names.set('web', { twinId: 7, state: 'Created' });
    const config = simConfig(tmp.dir, {
      zdb: { port: 0, addresses: ['127.0.0.1'] },
      qsfs: { metricsPort: 0 },
      publicConfig: { ipv4: '10.99.0.2/24', gw4: '10.99.0.1', domain: 'gw.grid.test' },
      gateway: { listenNetns: ns, runDir: `/run/tfg-${ns}` },
    });
    const sims = createSimBackends(config, chain);
    // The twin's network "lan" is this namespace (what the network backend reports as its NR namespace).
    const network: NetworkBackend = { ...sims.network, get: async (id) => (id === netIdOf(7, 'lan') ? ({ netns: ns } as NetworkInfo) : undefined) };
    const services = await createNodeServices(config, chain, silentLogger, { network, dir: tmp.dir, prefix: 'tp' });
    let backend: ChildProcess | undefined;
    try {
      expect([services.gateway.httpPort, services.gateway.httpsPort]).toEqual([80, 443]);
      // the backend lives in the same namespace (a "machine" reachable from there), on a non-loopback address
      execFileSync('ip', ['-n', ns, 'addr', 'add', '10.99.0.7/32', 'dev', 'lo']);
      backend = await startIn(ns, "require('http').createServer((q, s) => s.end('hello ' + q.headers.host)).listen(8080, '10.99.0.7', () => console.log('ready'))");
      // async: the relay runs in this process, a sync exec would block it
      const probe = async (host: string) =>
        (
          await execFileAsync('nsenter', [
            `--net=/run/netns/${ns}`,
            process.execPath,
            '-e',
            `require('http').get({ host: '10.99.0.2', port: 80, headers: { host: '${host}' } }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(r.statusCode + ' ' + b)); })`,
          ])
        ).stdout;
      expect(await probe('web.gw.grid.test')).toBe('404 404 page not found\n');
      await services.gateway.addNameProxy({ workloadId: '7-1-web', twinId: 7, name: 'web', tlsPassthrough: false, backends: ['http://10.99.0.7:8080'], network: 'lan' });
      expect(await probe('web.gw.grid.test')).toBe('200 hello web.gw.grid.test');
    } finally {
      backend?.kill('SIGTERM');
      for (const b of [services.gateway, services.qsfs, services.zdb]) await b.close();
      for (const b of [sims.machine, sims.network, sims.storage, sims.flist]) await b.close().catch(() => undefined);
    }
  });
});
