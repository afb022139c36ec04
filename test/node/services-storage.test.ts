/**
 * The node engine on the real services (issues 5 + 9): a qsfs workload over real 0-db namespaces that were
 * created as zdb workloads on the same node stores files and reads them back after its local copy is
 * dropped; a zlogs workload streams the machine's console to a WebSocket server and to a redis PUBLISH
 * sink. zos-protocol.md §1.5 (qsfs, zlogs), §4, §6.6. Machines, disks and networks are the state-only sims
 * here (their real versions have their own tests); zdb, qsfs and the log streams are the shipped services.
 * The test appends to the machine's console file, standing in for the machine writing to its console.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { WebSocketServer } from 'ws';
import { systemClock } from '../../protocol/common/clock';
import { silentLogger } from '../../protocol/common/log';
import { createEngine, type Engine } from '../../node/engine/engine';
import { openStorage, type Storage } from '../../node/engine/storage';
import type { Backends } from '../../node/engine/deps';
import { createNodeServices, createSimBackends, factsFrom, type NodeServices } from '../../node/runtime';
import { activeZlogStreams } from '../../node/engine/managers/zlogs';
import { testQsfsConfig } from '../../node/backends/qsfs/test-config';
import { buildDeployment, FARMER_TWIN, MemoryChain, NODE_ID, SAMPLE, signedPayload, simConfig, tempDir, testIdentity, type WorkloadSpec } from './fixtures';

const alice = testIdentity(5);
const ALICE = 17;

interface Got {
  version: number;
  workloads: { name: string; result: { state: string; message: string; data: unknown } }[];
}

/** A RESP server that records PUBLISH commands (what a redis server receives). */
function respSink(): Promise<{ port: number; published: { channel: string; message: string }[]; close(): Promise<void> }> {
  const published: { channel: string; message: string }[] = [];
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const parsed = parseArray(buf);
        if (!parsed) return;
        buf = buf.subarray(parsed.used);
        const [cmd, ...args] = parsed.items;
        if (cmd.toUpperCase() === 'PUBLISH') {
          published.push({ channel: args[0], message: args[1] });
          s.write(':0\r\n');
        } else s.write('+OK\r\n');
      }
    });
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        published,
        close: () =>
          new Promise<void>((r) => {
            for (const s of socks) s.destroy();
            srv.close(() => r());
          }),
      }),
    ),
  );
}

function parseArray(buf: Buffer): { items: string[]; used: number } | undefined {
  let i = 0;
  const line = (): string | undefined => {
    const e = buf.indexOf('\r\n', i);
    if (e < 0) return undefined;
    const l = buf.subarray(i, e).toString();
    i = e + 2;
    return l;
  };
  const head = line();
  if (head === undefined || head[0] !== '*') return undefined;
  const items: string[] = [];
  for (let n = Number(head.slice(1)); n > 0; n--) {
    const len = line();
    if (len === undefined) return undefined;
    const size = Number(len.slice(1));
    if (buf.length < i + size + 2) return undefined;
    items.push(buf.subarray(i, i + size).toString());
    i += size + 2;
  }
  return { items, used: i };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('node engine with the real zdb, qsfs and zlogs', () => {
  let tmp: { dir: string; remove(): void };
  let chain: MemoryChain;
  let storage: Storage;
  let engine: Engine;
  let backends: Backends;
  let services: NodeServices;

  const deploy = async (contract: bigint, workloads: WorkloadSpec[]): Promise<Record<string, { state: string; message: string; data: unknown }>> => {
    const d = buildDeployment(ALICE, contract, workloads);
    chain.contractFor(d, NODE_ID);
    await engine.deploy(ALICE, signedPayload(d, alice));
    await engine.idle();
    const got = JSON.parse(engine.get(ALICE, contract)) as Got;
    return Object.fromEntries(got.workloads.map((w) => [w.name, w.result]));
  };

  beforeAll(async () => {
    tmp = tempDir('tfg-svc-storage-');
    chain = new MemoryChain();
    chain.twins.set(ALICE, alice.publicKey);
    const config = simConfig(tmp.dir, { zdb: { port: 0, addresses: ['127.0.0.1'] }, qsfs: { metricsPort: 0 }, gateway: { listenHost: '127.0.0.1', httpPort: 0, httpsPort: 0 } });
    const sims = createSimBackends(config, chain);
    services = await createNodeServices(config, chain, silentLogger, { network: sims.network, dir: path.join(tmp.dir, 'services'), prefix: `s${process.pid % 10000}` });
    backends = { ...sims, ...services };
    storage = openStorage(tmp.dir);
    engine = createEngine({ chain, backends, clock: systemClock, log: silentLogger }, { storage, facts: factsFrom(config, { nodeId: NODE_ID, twinId: 2, farmerTwinId: FARMER_TWIN }) });
    await engine.start();
  });

  afterAll(async () => {
    await engine?.close();
    storage?.close();
    if (backends) for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) await b.close().catch(() => undefined);
    tmp?.remove();
  });

  it('stores files in a qsfs over zdb workloads of the same node and reads them back from zdb', async () => {
    const zdbs: WorkloadSpec[] = [
      ...[0, 1, 2, 3].map((i) => ({ name: `d${i}`, type: 'zdb', data: { size: 1 << 30, mode: 'seq', password: 'qs-pass', public: false } })),
      { name: 'meta', type: 'zdb', data: { size: 1 << 26, mode: 'user', password: 'qs-pass', public: false } },
    ];
    const r1 = await deploy(60n, zdbs);
    for (const z of zdbs) expect(r1[z.name]).toMatchObject({ state: 'ok', message: '' });
    const at = (name: string) => {
      const d = r1[name].data as { Namespace: string; IPs: string[]; Port: number };
      return { address: `${d.IPs[0]}:${d.Port}`, namespace: d.Namespace, password: 'qs-pass' };
    };
    const config = testQsfsConfig([], { minimal: 2, expected: 4 });
    config.groups = [{ backends: [0, 1, 2, 3].map((i) => at(`d${i}`)) }];
    config.meta.config.backends = [at('meta')];
    const r2 = await deploy(61n, [{ name: 'qs', type: 'qsfs', data: { cache: 64 << 20, config } }]);
    expect(r2.qs).toMatchObject({ state: 'ok', message: '' });
    const res = r2.qs.data as { path: string; metrics_endpoint: string };
    expect(fs.statSync(res.path).isDirectory()).toBe(true);

    const blob = Buffer.alloc(700_000);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) % 251;
    const files = new Map<string, Buffer>([
      ['hello.txt', Buffer.from('hello from qsfs\n')],
      ['nested/blob.bin', blob],
    ]);
    for (const [name, body] of files) {
      fs.mkdirSync(path.dirname(path.join(res.path, name)), { recursive: true });
      fs.writeFileSync(path.join(res.path, name), body);
    }
    const qsfs = services.qsfs;
    await qsfs.flush(`${ALICE}-61-qs`);
    // The data is in the zdb namespaces the engine created: every data namespace holds entries now.
    for (const i of [0, 1, 2, 3]) {
      const info = await backends.zdb.get(`${ALICE}-60-d${i}`);
      expect(info?.entries).toBeGreaterThan(0);
    }
    await qsfs.dropCache(`${ALICE}-61-qs`);
    for (const [name, body] of files) expect(fs.readFileSync(path.join(res.path, name)).equals(body)).toBe(true);
  });

  it('streams the machine console to a ws:// and a redis:// output and stops on delete', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const wsPort = (wss.address() as net.AddressInfo).port;
    const wsGot: string[] = [];
    wss.on('connection', (c) => c.on('message', (m) => wsGot.push(m.toString())));
    const redis = await respSink();
    try {
      const vm = { ...SAMPLE.vm, data: { ...SAMPLE.vm.data, network: { ...SAMPLE.vm.data.network, interfaces: [{ network: 'net', ip: '10.20.2.5' }] } } };
      const r = await deploy(62n, [
        SAMPLE.net,
        SAMPLE.disk,
        vm,
        { name: 'lws', type: 'zlogs', data: { zmachine: 'vm', output: `ws://127.0.0.1:${wsPort}/logs` } },
        { name: 'lredis', type: 'zlogs', data: { zmachine: 'vm', output: `redis://127.0.0.1:${redis.port}/vm-logs` } },
      ]);
      expect(r.vm.state).toBe('ok');
      expect(r.lws).toMatchObject({ state: 'ok', message: '', data: null });
      expect(r.lredis).toMatchObject({ state: 'ok', message: '', data: null });
      const logFile = backends.machine.logPath(`${ALICE}-62-vm`);
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      fs.appendFileSync(logFile, 'boot: line one\nboot: line two\n');
      const joined = (xs: string[]) => xs.join('');
      await until('ws lines', () => joined(wsGot).includes('boot: line two\n'));
      await until('redis lines', () => joined(redis.published.map((p) => p.message)).includes('boot: line two\n'));
      fs.appendFileSync(logFile, 'app: started\n');
      await until('ws new line', () => joined(wsGot).includes('app: started\n'));
      await until('redis new line', () => joined(redis.published.map((p) => p.message)).includes('app: started\n'));
      expect(new Set(redis.published.map((p) => p.channel))).toEqual(new Set(['vm-logs']));
      expect(joined(wsGot)).toBe('boot: line one\nboot: line two\napp: started\n');
      expect(activeZlogStreams(backends.machine).sort()).toEqual([`${ALICE}-62-lredis`, `${ALICE}-62-lws`]);

      engine.onContractEvent({ kind: 'cancelled', contractId: 62n });
      await engine.idle();
      await until('streams stopped', () => activeZlogStreams(backends.machine).length === 0);
      const before = wsGot.length;
      fs.appendFileSync(logFile, 'after delete\n');
      await new Promise((res) => setTimeout(res, 500));
      expect(wsGot.length).toBe(before);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((res) => wss.close(() => res(undefined)));
      await redis.close();
    }
  });

  it('refuses a zlogs output whose zmachine is missing, with the ZOS text', async () => {
    const d = buildDeployment(ALICE, 63n, [{ name: 'l', type: 'zlogs', data: { zmachine: 'ghost', output: 'ws://127.0.0.1:1/x' } }]);
    chain.contractFor(d, NODE_ID);
    await expect(engine.deploy(ALICE, signedPayload(d, alice))).rejects.toThrow("no zmachine with name 'ghost' found");
  });
});
