/**
 * Listening inside a namespace from this one (netns-listen.ts; machine.md: nsenter, not `ip netns exec`): a
 * client inside the namespace reaches a server here through the relay, the bound port is the given one or a
 * picked one, close drops open connections and stops listening, and bind failures name host:port and the
 * namespace with the cause (EADDRNOTAVAIL, EADDRINUSE, no such namespace).
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import { promisify } from 'util';
import { ZosError } from '../../protocol/common/errors';
import { silentLogger } from '../../protocol/common/log';
import { describeWithTools } from '../../test/helpers/require-tools';
import { listenInNetns, relayFromNetns, type NetnsRelay } from './netns-listen';

const run = promisify(execFile);
const NS = `tfl${process.pid}`;
const ADDR = '198.18.78.2';

/** Script for a client in the namespace: connects, sends argv[3], prints what comes back, then `closed`. */
const CLIENT = `
const s = require('net').connect(Number(process.argv[2]), process.argv[1], () => s.write(process.argv[3]));
s.on('data', (d) => process.stdout.write('got ' + d.toString() + '\\n'));
s.on('error', (e) => process.stdout.write('error ' + e.code + '\\n'));
s.on('close', () => { process.stdout.write('closed\\n'); process.exit(0); });
`;

interface Client {
  child: ChildProcess;
  /** Resolves once the client's output contains `text`; returns the output so far. */
  waitFor(text: string): Promise<string>;
}

function clientIn(netns: string, host: string, port: number, send: string): Client {
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', CLIENT, host, String(port), send], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters) w();
  });
  return {
    child,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) resolve(out);
        };
        waiters.push(check);
        child.once('exit', () => (out.includes(text) ? resolve(out) : reject(new Error(`client exited without ${JSON.stringify(text)}: ${out}`))));
        check();
      }),
  };
}

describeWithTools(['ip', 'nsenter'], { root: true })('listening inside a network namespace', () => {
  let echo: net.Server;
  let echoPort = 0;
  const upstream = new Set<net.Socket>();
  beforeAll(async () => {
    await run('ip', ['netns', 'add', NS]);
    await run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', NS, 'addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
    // The server the relay targets lives here, on 127.0.0.1 of this namespace.
    echo = net.createServer((s) => {
      upstream.add(s);
      s.on('close', () => upstream.delete(s));
      s.on('data', (d) => s.write(`echo:${d.toString()}`));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of upstream) s.destroy();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  });

  it('relays a connection made inside the namespace to the target here, on the given port', async () => {
    const relay = await relayFromNetns({ log: silentLogger }, { netns: NS, host: ADDR, port: 80, to: { host: '127.0.0.1', port: echoPort } });
    try {
      expect(relay.port).toBe(80);
      const c = clientIn(NS, ADDR, 80, 'hello');
      await c.waitFor('got echo:hello');
      c.child.kill('SIGTERM');
      // The address exists only in the namespace; nothing of it is in ours.
      const { stdout } = await run('ip', ['-o', 'addr']);
      expect(stdout).not.toContain(ADDR);
    } finally {
      await relay.close();
    }
  });

  it('picks a free port for 0; close drops open connections and stops listening', async () => {
    const relay: NetnsRelay = await relayFromNetns({ log: silentLogger }, { netns: NS, host: ADDR, port: 0, to: { host: '127.0.0.1', port: echoPort } });
    expect(relay.port).toBeGreaterThan(0);
    const c = clientIn(NS, ADDR, relay.port, 'one');
    await c.waitFor('got echo:one');
    await relay.close();
    expect(await c.waitFor('closed')).not.toContain('error');
    const after = clientIn(NS, ADDR, relay.port, 'two');
    expect(await after.waitFor('closed')).toContain('error ECONNREFUSED');
  });

  it('closes the client connection when the target refuses', async () => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const relay = await relayFromNetns({ log: silentLogger }, { netns: NS, host: ADDR, port: 0, to: { host: '127.0.0.1', port: deadPort } });
    try {
      const out = await clientIn(NS, ADDR, relay.port, 'x').waitFor('closed');
      expect(out).not.toContain('got');
    } finally {
      await relay.close();
    }
  });

  it('fails with the bind error when the address is not in the namespace', async () => {
    const err = await listenInNetns(NS, '198.18.78.3', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZosError);
    expect((err as Error).message).toMatch(/^listen on 198\.18\.78\.3:0 in tfl\d+: .*EADDRNOTAVAIL/);
  });

  it('fails with EADDRINUSE when the port is taken there', async () => {
    const first = await listenInNetns(NS, ADDR, 0);
    try {
      await expect(listenInNetns(NS, ADDR, first.port)).rejects.toThrow(new RegExp(`^listen on 198\\.18\\.78\\.2:${first.port} in ${NS}: .*EADDRINUSE`));
    } finally {
      await new Promise<void>((resolve) => first.server.close(() => resolve()));
    }
  });

  it('fails naming the namespace when it does not exist', async () => {
    await expect(listenInNetns(`${NS}-gone`, ADDR, 0)).rejects.toThrow(new RegExp(`^listen on 198\\.18\\.78\\.2:0 in ${NS}-gone: helper exited with 1: nsenter: .*${NS}-gone`));
  });
});
