/**
 * Where the gateway dials its backends from (zos-protocol.md §6.5). A backend in a twin's private network
 * (`network` set) is dialled inside that network's NR namespace ("the node bridges it through a local
 * forwarder", ZOS's `nnc`); every other backend (a server on the grid's internet, a public IP, a planetary or
 * mycelium address) is dialled from the node's host namespace (`hostNetns`: ZOS's gateway runs in the node's
 * public namespace; on the local grid `<prefix>-n<i>` on the grid's internet), never from the daemon's own
 * (root) namespace, whose routes lead off the grid.
 *
 * A socket belongs to the network namespace it was created in, but a unix socket's *path* is on the file
 * system. So per namespace we start one small forwarder inside it (`nsenter --net=/run/netns/<ns> node -e …`;
 * not `ip netns exec`, which remounts /sys, machine.md) that listens on a unix socket under `runDir`; the proxy
 * connects to that path and sends `host port\n`, then the forwarder connects inside the namespace and pipes
 * both ways.
 *
 * A forwarder never outlives its namespace: it is keyed by the namespace's identity (the inode of
 * `/run/netns/<ns>`), which every dial checks, so a network deleted and created again under the same name gets
 * a new forwarder and the old one (which alone kept the deleted namespace alive) is stopped. Forwarders of
 * namespaces that are gone are stopped at the next dial.
 *
 * ```ts
 * const bridge = createNetnsBridge({ log }, { runDir: '/run/tfgrid/gw', hostNetns: 'tfg-n1',
 *   netnsFor: async (twin, name) => (await net.get(networkId(twin, name)))?.netns });
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
import type { DialTarget } from './gateway';

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
  /**
   * The node's host namespace, where backends outside any private network are dialled. Leave it out only when
   * the daemon runs in the node's host namespace itself (a node on its own machine); then those are dialled
   * from here.
   */
  hostNetns?: string;
  /** How to run a command in a namespace; default `nsenter --net=/run/netns/<ns> …`. */
  execIn?: (netns: string, argv: string[]) => ChildProcess;
}

export interface NetnsBridge {
  /** Refuses a network the twin does not have on this node; starts its forwarder. */
  checkNetwork: (twinId: number, network: string) => Promise<void>;
  /** A socket to `host:port` opened in the twin's network (`network` set) or else in the node's host namespace. */
  dial: (target: DialTarget) => Promise<net.Socket>;
  /** The namespaces that have a forwarder running, with their identity (for tests and logs). */
  forwarders(): { netns: string; identity: string; pid?: number }[];
  /** Stops every forwarder and removes its socket. */
  close(): Promise<void>;
}

interface Forwarder {
  netns: string;
  /** `dev:inode` of `/run/netns/<netns>` when the forwarder was started. */
  identity: string;
  child: ChildProcess;
  socket: string;
  ready: Promise<void>;
}

/** The identity of a named namespace (`dev:inode` of its bind mount), undefined when it is gone. */
function netnsIdentity(netns: string): string | undefined {
  try {
    const st = fs.statSync(`/run/netns/${netns}`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Bridges made by this process: part of socket names, so two bridges sharing a `runDir` never share a socket. */
let bridgesMade = 0;

export function createNetnsBridge(deps: { log: Logger }, opts: NetnsBridgeOptions): NetnsBridge {
  const log = deps.log.child({ component: 'gateway-bridge' });
  const bridgeId = `${process.pid}.${++bridgesMade}`;
  const execIn = opts.execIn ?? ((ns, argv) => spawn('nsenter', [`--net=/run/netns/${ns}`, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const forwarders = new Map<string, Forwarder>(); // by namespace name
  const socketFor = (key: string) => path.join(opts.runDir, `nnc-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.sock`);
  fs.mkdirSync(opts.runDir, { recursive: true, mode: 0o700 });

  const stop = (f: Forwarder, why: string): Promise<void> => {
    if (forwarders.get(f.netns) === f) forwarders.delete(f.netns);
    const exited = new Promise<void>((resolve) => {
      if (f.child.exitCode !== null || f.child.signalCode !== null) return resolve();
      f.child.once('exit', () => resolve());
      f.child.stdin?.end();
      f.child.kill('SIGTERM');
    });
    return exited.then(() => {
      fs.rmSync(f.socket, { force: true });
      if (why) log.info('network forwarder stopped', { netns: f.netns, why });
    });
  };

  /** Stops the forwarders whose namespace is gone or was created again since they started. */
  const sweep = (): void => {
    for (const f of [...forwarders.values()]) {
      const now = netnsIdentity(f.netns);
      if (now !== f.identity) void stop(f, now ? 'namespace created again' : 'namespace gone');
    }
  };

  /** The running forwarder of `netns` as it is now, started when missing or stale. */
  const ensure = (netns: string): Forwarder => {
    sweep();
    const identity = netnsIdentity(netns);
    if (!identity) throw new Error(`network namespace ${netns} does not exist`);
    const cur = forwarders.get(netns);
    if (cur && cur.child.exitCode === null && cur.child.signalCode === null) return cur;
    const socket = socketFor(`${bridgeId}/${netns}@${identity}`);
    const child = execIn(netns, [process.execPath, '-e', FORWARDER, socket]);
    const f: Forwarder = { netns, identity, child, socket, ready: Promise.resolve() };
    f.ready = new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) resolve();
      });
      child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => {
        if (forwarders.get(netns) === f) forwarders.delete(netns);
        reject(new Error(`forwarder in ${netns} exited with ${code}: ${err.trim()}`));
      });
    });
    f.ready.catch(() => undefined); // a failed start is reported to whoever awaits it
    forwarders.set(netns, f);
    f.ready.then(
      () => log.info('network forwarder up', { netns, identity }),
      () => {},
    );
    return f;
  };

  const netnsOf = async (t: { twinId: number; network?: string }): Promise<string | undefined> => {
    if (!t.network) return opts.hostNetns;
    const ns = await opts.netnsFor(t.twinId, t.network);
    if (!ns) throw new Error(`network ${t.network} of twin ${t.twinId} not found on this node`);
    return ns;
  };

  return {
    async checkNetwork(twinId, network) {
      const ns = await netnsOf({ twinId, network });
      await ensure(ns!).ready;
    },
    async dial(target) {
      const ns = await netnsOf(target);
      if (!ns) return net.connect(target.port, target.host); // the daemon runs in the node's host namespace
      const f = ensure(ns);
      await f.ready;
      const sock = net.connect(f.socket);
      sock.write(`${target.host} ${target.port}\n`);
      return sock;
    },
    forwarders: () => [...forwarders.values()].map((f) => ({ netns: f.netns, identity: f.identity, pid: f.child.pid })),
    async close() {
      await Promise.all([...forwarders.values()].map((f) => stop(f, '')));
      forwarders.clear();
    },
  };
}
