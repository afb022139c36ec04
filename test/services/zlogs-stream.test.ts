/**
 * The zlogs stream on its own (zos-protocol.md §1.5 zlogs; tailstream's output URLs): redis URLs with a db
 * and credentials, chunks queued while the sink is down and delivered once it is up, the bound on that
 * queue, and no connection at all while the machine has written nothing.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { WebSocketServer } from 'ws';
import { silentLogger } from '../../protocol/common/log';
import { parseRedisOutput, startLogStream } from '../../node/engine/managers/zlogs-stream';

async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('zlogs stream', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zlogs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads redis URLs as tailstream does: [user][:password@]host[:port][/db]/channel', () => {
    expect(parseRedisOutput(new URL('redis://10.1.2.3/logs'))).toEqual({ host: '10.1.2.3', port: 6379, username: undefined, password: undefined, db: undefined, channel: 'logs' });
    expect(parseRedisOutput(new URL('redis://u:p%40ss@[::1]:7000/3/vm'))).toEqual({ host: '::1', port: 7000, username: 'u', password: 'p@ss', db: 3, channel: 'vm' });
    expect(() => parseRedisOutput(new URL('redis://10.1.2.3'))).toThrow('expected /[<db>/]<channel>');
    expect(() => parseRedisOutput(new URL('redis://10.1.2.3/x/logs'))).toThrow("db 'x' is not a number");
    expect(() => startLogStream({ log: silentLogger }, { file: path.join(dir, 'f'), output: 'http://10.1.2.3/' })).toThrow("invalid output schema 'http' not supported");
  });

  it('does not dial while nothing was written, queues while the sink is down and delivers once it is up', async () => {
    const port = await freePort();
    const file = path.join(dir, 'console.log');
    let connections = 0;
    const got: string[] = [];
    let wss: WebSocketServer | undefined = new WebSocketServer({ host: '127.0.0.1', port });
    wss.on('connection', () => connections++);
    const stream = startLogStream({ log: silentLogger }, { file, output: `ws://127.0.0.1:${port}/`, pollMs: 20 });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(connections).toBe(0);
      await new Promise((r) => wss!.close(r));
      wss = undefined;
      fs.writeFileSync(file, 'one\ntwo\npart');
      await new Promise((r) => setTimeout(r, 300)); // sink down: chunks wait
      wss = new WebSocketServer({ host: '127.0.0.1', port });
      wss.on('connection', (c) => c.on('message', (m) => got.push(m.toString())));
      await until('queued lines', () => got.join('') === 'one\ntwo\n');
      fs.appendFileSync(file, 'ial line\n');
      await until('the completed partial line', () => got.join('') === 'one\ntwo\npartial line\n');
    } finally {
      await stream.close();
      if (wss) {
        for (const c of wss.clients) c.terminate();
        await new Promise((r) => wss!.close(r));
      }
    }
  });

  it('keeps only the newest chunks while the sink is unreachable', async () => {
    const port = await freePort();
    const file = path.join(dir, 'console.log');
    const stream = startLogStream({ log: silentLogger }, { file, output: `ws://127.0.0.1:${port}/`, pollMs: 20, maxQueued: 2 });
    const got: string[] = [];
    let wss: WebSocketServer | undefined;
    try {
      for (const l of ['a', 'b', 'c', 'd']) {
        fs.appendFileSync(file, `${l}\n`);
        await new Promise((r) => setTimeout(r, 80)); // one chunk per poll
      }
      wss = new WebSocketServer({ host: '127.0.0.1', port });
      wss.on('connection', (c) => c.on('message', (m) => got.push(m.toString())));
      await until('the newest chunks', () => got.join('') === 'c\nd\n');
    } finally {
      await stream.close();
      if (wss) {
        for (const c of wss.clients) c.terminate();
        await new Promise((r) => wss!.close(r));
      }
    }
  });
});
