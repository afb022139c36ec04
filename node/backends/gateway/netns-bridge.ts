/**
 * Reaching a twin's private network from the gateway (zos-protocol.md §6.5: "with `network` set, the backend
 * IP may be a private IP in that network; the node bridges it through a local forwarder" — ZOS's `nnc`).
 *
 * A socket belongs to the network namespace it was created in, but a unix socket's *path* is on the file
 * system. So per network resource we start one small forwarder inside its namespace
 * (`nsenter --net=/run/netns/<ns> node -e …`; not `ip netns exec`, which remounts /sys, machine.md) that listens on a unix socket under `runDir`; the proxy, in the node's
 * own namespace, connects to that path and sends `host port\n`, then the forwarder connects inside the
 * namespace and pipes both ways. `checkNetwork` starts the forwarder (and refuses unknown networks);
 * `dial` is synchronous, as the proxy needs.
 *
 * ```ts
 * const bridge = createNetnsBridge({ log }, { runDir: '/run/tfgrid/gw', netnsFor: async (twin, name) => (await net.get(networkId(twin, name)))?.netns });
 * const gw = await createGatewayProxy({ ...deps, checkNetwork: bridge.checkNetwork, dial: bridge.dial, log }, opts);
 * ```
 * @module
 */
import { spawn, type ChildProcess } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Logger } from '../../../protocol/common/log';
import type { GatewayDialer } from './gateway';

/** The forwarder, run by a bare `node` inside the namespace (no TypeScript loader there). */
const FORWARDER = `
const net = require('net'); const fs = require('fs'); const p = process.argv[1];
try { fs.unlinkSync(p); } catch {}
const srv = net.createServer((c) => {
  let buf = Buffer.alloc(0);
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    const i = buf.indexOf(10);
    if (i < 0) { if (buf.length > 512) c.destroy(); return; }
    c.removeListener('data', onData); c.pause();
    const [host, port] = buf.subarray(0, i).toString().trim().split(' ');
    const rest = buf.subarray(i + 1);
    const up = net.connect(Number(port), host, () => { if (rest.length) up.write(rest); c.pipe(up).pipe(c); c.resume(); });
    up.on('error', () => c.destroy()); c.on('error', () => up.destroy());
  };
  c.on('data', onData);
});
srv.listen(p, () => { fs.chmodSync(p, 0o600); process.stdout.write('ready\\n'); });
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

export interface NetnsBridgeOptions {
  /** Directory for the unix sockets (short: socket paths are limited to 107 bytes). */
  runDir: string;
  /** The NR namespace of the twin's network on this node, or undefined when it does not exist. */
  netnsFor: (twinId: number, network: string) => Promise<string | undefined>;
  /** How to run a command in a namespace; default `nsenter --net=/run/netns/<ns> …`. */
  execIn?: (netns: string, argv: string[]) => ChildProcess;
}

export interface NetnsBridge {
  checkNetwork: (twinId: number, network: string) => Promise<void>;
  dial: GatewayDialer;
  /** Stops every forwarder and removes its socket. */
  close(): Promise<void>;
}

export function createNetnsBridge(deps: { log: Logger }, opts: NetnsBridgeOptions): NetnsBridge {
  const log = deps.log.child({ component: 'gateway-bridge' });
  const execIn = opts.execIn ?? ((ns, argv) => spawn('nsenter', [`--net=/run/netns/${ns}`, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const forwarders = new Map<string, { child: ChildProcess; socket: string; ready: Promise<void> }>();
  const socketFor = (key: string) => path.join(opts.runDir, `nnc-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.sock`);
  fs.mkdirSync(opts.runDir, { recursive: true, mode: 0o700 });

  const ensure = (twinId: number, network: string, netns: string): Promise<void> => {
    const key = `${twinId}/${network}`;
    const cur = forwarders.get(key);
    if (cur && cur.child.exitCode === null && !cur.child.killed) return cur.ready;
    const socket = socketFor(key);
    const child = execIn(netns, [process.execPath, '-e', FORWARDER, socket]);
    const ready = new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) resolve();
      });
      child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => {
        forwarders.delete(key);
        reject(new Error(`forwarder in ${netns} exited with ${code}: ${err.trim()}`));
      });
    });
    forwarders.set(key, { child, socket, ready });
    ready.then(() => log.info('network forwarder up', { twin: twinId, network, netns }), () => {});
    return ready;
  };

  return {
    async checkNetwork(twinId, network) {
      const netns = await opts.netnsFor(twinId, network);
      if (!netns) throw new Error(`network ${network} of twin ${twinId} not found on this node`);
      await ensure(twinId, network, netns);
    },
    dial({ host, port, twinId, network }) {
      if (!network) return net.connect(port, host);
      const f = forwarders.get(`${twinId}/${network}`);
      const sock = net.connect(f ? f.socket : socketFor(`${twinId}/${network}`));
      sock.write(`${host} ${port}\n`);
      return sock;
    },
    async close() {
      await Promise.all(
        [...forwarders.values()].map(
          (f) =>
            new Promise<void>((resolve) => {
              if (f.child.exitCode !== null) return resolve();
              f.child.once('exit', () => resolve());
              f.child.stdin?.end();
              f.child.kill('SIGTERM');
            }),
        ),
      );
      for (const f of forwarders.values()) fs.rmSync(f.socket, { force: true });
      forwarders.clear();
    },
  };
}
