/**
 * Where the gateway dials its backends (zos-protocol.md §6.5, issue 18.2 and 18.3): a machine on a twin's
 * private network listens on a private IP inside the network's namespace, unreachable from the gateway's
 * namespace, and the netns bridge runs a forwarder inside that namespace; a backend outside any private
 * network is dialled from the node's host namespace (here a namespace holding a grid-internet address the
 * root namespace cannot reach: the run's escape guard refuses 198.18.0.0/15 there). A network deleted and
 * created again under the same name is served again: the forwarder follows the namespace.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../protocol/common/log';
import { createGridCa } from '../../node/backends/gateway/grid-ca';
import { createNetnsBridge, type NetnsBridge } from '../../node/backends/gateway/netns-bridge';
import { createGatewayProxy, type GatewayProxy } from '../../node/backends/gateway/proxy';
import { describeWithTools } from '../helpers/require-tools';

const NS = `tfg${process.pid}gw`;
const HOST_NS = `tfg${process.pid}gh`;
const HOST_ADDR = '198.18.79.2';

/** Runs a node http server in `netns` on `addr:port` answering `<text> host=<Host header>`; resolves when it listens. */
async function serveIn(netns: string, addr: string, port: number, text: string): Promise<ChildProcess> {
  const child = spawn('nsenter', [
    `--net=/run/netns/${netns}`,
    process.execPath,
    '-e',
    `require('http').createServer((q, s) => s.end(${JSON.stringify(text)} + ', host=' + q.headers.host)).listen(${port}, '${addr}', () => console.log('ready'))`,
  ]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`server in ${netns} exited ${code}`)));
  });
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A fresh private network namespace `NS` with the machine address on its loopback. */
function makeNetworkNs(): void {
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '10.20.2.2/32', 'dev', 'lo']);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describeWithTools(['ip', 'nsenter'], { root: true })('gateway over a private network namespace', () => {
  let machine: ChildProcess | undefined;
  let hostServer: ChildProcess | undefined;
  let bridge: NetnsBridge;
  let gw: GatewayProxy;
  let runDir: string;

  beforeAll(async () => {
    makeNetworkNs();
    machine = await serveIn(NS, '10.20.2.2', 8080, 'page from the private network');
    execFileSync('ip', ['netns', 'add', HOST_NS]);
    execFileSync('ip', ['-n', HOST_NS, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', HOST_NS, 'addr', 'add', `${HOST_ADDR}/32`, 'dev', 'lo']);
    hostServer = await serveIn(HOST_NS, HOST_ADDR, 8081, 'page from the grid internet');
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-gw-'));
    bridge = createNetnsBridge(
      { log: silentLogger },
      {
        runDir,
        hostNetns: HOST_NS,
        netnsFor: async (twin, network) => (twin === 7 && network === 'net1' && fs.existsSync(`/run/netns/${NS}`) ? NS : undefined),
      },
    );
    gw = await createGatewayProxy(
      {
        log: silentLogger,
        checkNameContract: async () => ({ exists: true, twinId: 7, state: 'Created' }),
        resolveHost: async () => [],
        checkNetwork: bridge.checkNetwork,
        dial: bridge.dial,
      },
      { node: { domain: 'gw1.grid.local', publicIPs: ['10.100.0.11'] }, ca: createGridCa(), listen: { host: '127.0.0.1', httpPort: 0, httpsPort: 0 } },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await bridge?.close();
    await stop(machine);
    await stop(hostServer);
    for (const ns of [NS, HOST_NS]) if (fs.existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('serves a page from a private IP through the network forwarder', async () => {
    await gw.addNameProxy({ workloadId: '7-12-web', twinId: 7, name: 'web', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'net1' });
    const res = await get(gw.httpPort, 'web.gw1.grid.local');
    expect(res).toEqual({ status: 200, body: 'page from the private network, host=web.gw1.grid.local' });
  });

  // No test dials 10.20.2.2 without the bridge: from the root namespace that address routes off the machine.
  it('dials a backend outside any private network from the node host namespace, not its own', async () => {
    await gw.addNameProxy({ workloadId: '7-13-inet', twinId: 7, name: 'inet', tlsPassthrough: false, backends: [`http://${HOST_ADDR}:8081`] });
    expect(await get(gw.httpPort, 'inet.gw1.grid.local')).toEqual({ status: 200, body: 'page from the grid internet, host=inet.gw1.grid.local' });
    expect(bridge.forwarders().map((f) => f.netns)).toContain(HOST_NS);
  });

  it('serves a network deleted and created again under the same name (the forwarder follows the namespace)', async () => {
    await gw.addNameProxy({ workloadId: '7-14-again', twinId: 7, name: 'again', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'net1' });
    expect((await get(gw.httpPort, 'again.gw1.grid.local')).status).toBe(200);
    const before = bridge.forwarders().find((f) => f.netns === NS)!;

    // The network goes (machine and namespace) and comes back with the same name, as destroy + up does.
    await stop(machine);
    execFileSync('ip', ['netns', 'del', NS]);
    makeNetworkNs();
    machine = await serveIn(NS, '10.20.2.2', 8080, 'page from the network made again');
    await gw.addNameProxy({ workloadId: '7-14-again', twinId: 7, name: 'again', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'net1' });

    expect(await get(gw.httpPort, 'again.gw1.grid.local')).toEqual({ status: 200, body: 'page from the network made again, host=again.gw1.grid.local' });
    const after = bridge.forwarders().find((f) => f.netns === NS)!;
    expect(after.identity).not.toBe(before.identity);
    // The old forwarder, which alone kept the deleted namespace alive, is gone.
    await until(`forwarder ${before.pid} to exit`, () => !alive(before.pid!));
  });

  it('a route that outlives its network also follows it: the next request is served from the new namespace', async () => {
    // No new add after the re-creation: the proxy keeps its route, only the namespace changes under it.
    await stop(machine);
    execFileSync('ip', ['netns', 'del', NS]);
    makeNetworkNs();
    machine = await serveIn(NS, '10.20.2.2', 8080, 'page from the third namespace');
    expect(await get(gw.httpPort, 'again.gw1.grid.local')).toEqual({ status: 200, body: 'page from the third namespace, host=again.gw1.grid.local' });
  });

  it('refuses a network the twin does not have on this node', async () => {
    await expect(gw.addNameProxy({ workloadId: '7-12-x', twinId: 7, name: 'x', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'nope' })).rejects.toThrow(
      /^failed to get user network: network nope of twin 7 not found on this node$/,
    );
  });
});
