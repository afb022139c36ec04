/**
 * A gateway backend on a twin's private network (zos-protocol.md §6.5 `network`): the machine listens on a
 * private IP inside its own network namespace, unreachable from the gateway's namespace; the netns bridge
 * runs a forwarder inside that namespace and the proxy reaches the page through it.
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

describeWithTools(['ip'], { root: true })('gateway over a private network namespace', () => {
  let machine: ChildProcess;
  let bridge: NetnsBridge;
  let gw: GatewayProxy;
  let runDir: string;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', NS, 'addr', 'add', '10.20.2.2/32', 'dev', 'lo']);
    machine = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e',
      "require('http').createServer((q, s) => s.end('page from the private network, host=' + q.headers.host)).listen(8080, '10.20.2.2', () => console.log('ready'))"]);
    await new Promise<void>((resolve, reject) => {
      machine.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      machine.once('exit', (code) => reject(new Error(`machine exited ${code}`)));
    });
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-gw-'));
    bridge = createNetnsBridge({ log: silentLogger }, {
      runDir,
      netnsFor: async (twin, network) => (twin === 7 && network === 'net1' ? NS : undefined),
    });
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
    if (machine && machine.exitCode === null) {
      const exited = new Promise((r) => machine.once('exit', r));
      machine.kill('SIGTERM');
      await exited;
    }
    execFileSync('ip', ['netns', 'del', NS]);
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('serves a page from a private IP through the network forwarder', async () => {
    await gw.addNameProxy({ workloadId: '7-12-web', twinId: 7, name: 'web', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'net1' });
    const res = await get(gw.httpPort, 'web.gw1.grid.local');
    expect(res).toEqual({ status: 200, body: 'page from the private network, host=web.gw1.grid.local' });
  });

  // No test dials 10.20.2.2 without the bridge: from the root namespace that address routes off the machine.
  it('refuses a network the twin does not have on this node', async () => {
    await expect(
      gw.addNameProxy({ workloadId: '7-12-x', twinId: 7, name: 'x', tlsPassthrough: false, backends: ['http://10.20.2.2:8080'], network: 'nope' }),
    ).rejects.toThrow(/^failed to get user network: network nope of twin 7 not found on this node$/);
  });
});
