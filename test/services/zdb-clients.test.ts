/**
 * Real Redis clients against the node's zdb (zos-protocol.md §6.6, issue 9): ioredis and redis-cli write
 * and read in a user namespace with its password, are refused without it, hit the size limit, use a
 * seq namespace, and find their data again after the server restarts.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Redis from 'ioredis';
import { silentLogger } from '../../protocol/common/log';
import { createLinuxZdbBackend, type LinuxZdbBackend } from '../../node/backends/zdb/linux';
import { describeWithTools } from '../helpers/require-tools';

function redisCli(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    p.stdin?.end(lines.join('\n') + '\n');
  });
}

async function client(port: number): Promise<Redis> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: true, retryStrategy: () => null });
  await r.connect();
  return r;
}

describe('zdb with ioredis', () => {
  let dataDir: string;
  let zdb: LinuxZdbBackend;
  const open = () => createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbc-'));
    zdb = await open();
    await zdb.create({ name: '7-12-db', size: 4096n, mode: 'user', password: 'sekret', public: false });
  });
  afterEach(async () => {
    await zdb.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes and reads keys after SELECT with the password', async () => {
    const r = await client(zdb.server.port);
    try {
      expect(await r.ping()).toBe('PONG');
      expect(await r.call('SELECT', '7-12-db', 'sekret')).toBe('OK');
      expect(await r.set('hello', 'world')).toBe('hello'); // 0-db answers SET with the key
      expect(await r.get('hello')).toBe('world');
      expect(await r.exists('hello')).toBe(1);
      expect(await r.dbsize()).toBe(1);
      expect(await r.del('hello')).toBe('OK' as unknown as number);
      expect(await r.get('hello')).toBeNull();
      const info = String(await r.call('NSINFO', '7-12-db'));
      expect(info).toContain('name: 7-12-db');
      expect(info).toContain('data_limits_bytes: 4096');
      expect(info).toContain('password: yes');
    } finally {
      r.disconnect();
    }
  });

  it('refuses SELECT without the password or with a wrong one, and keeps the client out', async () => {
    const r = await client(zdb.server.port);
    try {
      await expect(r.call('SELECT', '7-12-db')).rejects.toThrow('Namespace protected and private');
      await expect(r.call('SELECT', '7-12-db', 'nope')).rejects.toThrow('Access denied');
      await expect(r.call('SELECT', 'missing')).rejects.toThrow('Namespace not found');
      // still in the default namespace: the tenant's key is not visible
      expect(await r.get('hello')).toBeNull();
      await expect(r.call('NSDEL', '7-12-db')).rejects.toThrow('Permission denied');
    } finally {
      r.disconnect();
    }
  });

  it('lets anyone read a public namespace but only password holders write', async () => {
    await zdb.update({ name: '7-12-db', size: 4096n, mode: 'user', password: 'sekret', public: true });
    const w = await client(zdb.server.port);
    const ro = await client(zdb.server.port);
    try {
      await w.call('SELECT', '7-12-db', 'sekret');
      await w.set('k', 'v');
      expect(await ro.call('SELECT', '7-12-db')).toBe('OK');
      expect(await ro.get('k')).toBe('v');
      await expect(ro.set('k', 'x')).rejects.toThrow('Namespace is in read-only mode');
    } finally {
      w.disconnect();
      ro.disconnect();
    }
  });

  it('refuses writes beyond the namespace size and accepts them after a grow', async () => {
    const r = await client(zdb.server.port);
    try {
      await r.call('SELECT', '7-12-db', 'sekret');
      await r.set('a', Buffer.alloc(3000, 1));
      await expect(r.set('b', Buffer.alloc(2000, 2))).rejects.toThrow('No space left on this namespace');
      // overwriting with a value that fits in limit + the old one's size is legitimate (0-db rule)
      await r.set('a', Buffer.alloc(4000, 3));
      await zdb.update({ name: '7-12-db', size: 8192n, mode: 'user', password: 'sekret', public: false });
      expect(await r.set('b', Buffer.alloc(2000, 2))).toBe('b');
      expect((await r.getBuffer('a'))?.length).toBe(4000);
    } finally {
      r.disconnect();
    }
  });

  it('refuses reads and writes while the namespace is paused', async () => {
    const r = await client(zdb.server.port);
    try {
      await r.call('SELECT', '7-12-db', 'sekret');
      await r.set('a', '1');
      await zdb.pause('7-12-db');
      await expect(r.get('a')).rejects.toThrow('Namespace is temporarily locked');
      await expect(r.set('b', '2')).rejects.toThrow('Namespace is temporarily locked');
      await zdb.resume('7-12-db');
      expect(await r.get('a')).toBe('1');
    } finally {
      r.disconnect();
    }
  });

  it('numbers values in a seq namespace and scans them in write order', async () => {
    await zdb.create({ name: '7-12-seq', size: 1n << 20n, mode: 'seq', password: '', public: false });
    const r = await client(zdb.server.port);
    try {
      await r.call('SELECT', '7-12-seq');
      const k0 = (await r.callBuffer('SET', '', 'zero')) as Buffer;
      const k1 = (await r.callBuffer('SET', '', 'one')) as Buffer;
      expect(k0.readUInt32LE(0)).toBe(0);
      expect(k1.readUInt32LE(0)).toBe(1);
      expect(await r.get(k1 as unknown as string)).toBe('one');
      await expect(r.call('SET', Buffer.from([9, 0, 0, 0]), 'x')).rejects.toThrow('Invalid key, only update authorized');
      const [cursor, items] = (await r.callBuffer('SCAN')) as [Buffer, Array<[Buffer, number, number]>];
      expect(items.map((i) => i[0].readUInt32LE(0))).toEqual([0, 1]);
      expect(items.map((i) => i[1])).toEqual([4, 3]);
      await expect(r.callBuffer('SCAN', cursor)).rejects.toThrow('No more data');
      const cur0 = (await r.callBuffer('KEYCUR', k0)) as Buffer;
      const [, rest] = (await r.callBuffer('SCAN', cur0)) as [Buffer, Array<[Buffer, number, number]>];
      expect(rest.map((i) => i[0].readUInt32LE(0))).toEqual([1]);
    } finally {
      r.disconnect();
    }
  });

  it('keeps data, settings and sizes across a server restart', async () => {
    const r = await client(zdb.server.port);
    await r.call('SELECT', '7-12-db', 'sekret');
    await r.set('persist', 'me');
    await r.set('gone', 'soon');
    await r.del('gone');
    await r.set('persist', 'me too');
    r.disconnect();
    await zdb.close();
    zdb = await open();
    const r2 = await client(zdb.server.port);
    try {
      await expect(r2.call('SELECT', '7-12-db')).rejects.toThrow('Namespace protected and private');
      await r2.call('SELECT', '7-12-db', 'sekret');
      expect(await r2.get('persist')).toBe('me too');
      expect(await r2.exists('gone')).toBe(0);
      expect(await r2.dbsize()).toBe(1);
      expect(await zdb.get('7-12-db')).toMatchObject({ size: 4096n, usedBytes: 6n, entries: 1 });
    } finally {
      r2.disconnect();
    }
  });

  it('drops a torn record at the end of the log after a crash', async () => {
    const r = await client(zdb.server.port);
    await r.call('SELECT', '7-12-db', 'sekret');
    await r.set('ok', 'value');
    r.disconnect();
    await zdb.close();
    const log = path.join(dataDir, 'namespaces', '7-12-db', 'data.log');
    fs.appendFileSync(log, Buffer.from([1, 5, 100, 0, 0, 0, 0, 0, 0, 0, 0x61])); // header promising more than exists
    zdb = await open();
    const r2 = await client(zdb.server.port);
    try {
      await r2.call('SELECT', '7-12-db', 'sekret');
      expect(await r2.get('ok')).toBe('value');
      expect(await r2.set('after', 'crash')).toBe('after');
      expect(await r2.get('after')).toBe('crash');
    } finally {
      r2.disconnect();
    }
  });
});

describeWithTools(['redis-cli'])('zdb with redis-cli', () => {
  let dataDir: string;
  let zdb: LinuxZdbBackend;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbcli-'));
    zdb = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
    await zdb.create({ name: 'cli-ns', size: 64n, mode: 'user', password: 'pw1', public: false });
  });
  afterAll(async () => {
    await zdb.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes and reads with the password and is refused without it', async () => {
    const out = await redisCli(zdb.server.port, ['SELECT cli-ns pw1', 'SET name tfgrid', 'GET name', 'EXISTS name', 'DBSIZE']);
    expect(out.split('\n').filter(Boolean)).toEqual(['OK', 'name', 'tfgrid', '1', '1']);
    const denied = await redisCli(zdb.server.port, ['SELECT cli-ns', 'SELECT cli-ns wrong', 'GET name']);
    // GET answers nil (printed as an empty line): the client stayed in the default namespace
    // redis-cli (non-tty) prints an error line plus a blank line; nil is an empty line
    expect(denied).toBe('Namespace protected and private\n\nAccess denied\n\n\n');
  });

  it('hits the size limit', async () => {
    const out = await redisCli(zdb.server.port, ['SELECT cli-ns pw1', `SET big ${'x'.repeat(100)}`, 'NSLIST']);
    const lines = out.split('\n').filter(Boolean);
    expect(lines[1]).toBe('No space left on this namespace');
    expect(lines).toContain('cli-ns');
    expect(lines).toContain('default');
  });
});

describe('zdb log compaction', () => {
  it('rewrites a mostly-dead log at start, keeping values, order and seq ids', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbgc-'));
    const open = () => createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
    let zdb = await open();
    try {
      await zdb.create({ name: 'u', size: 1n << 30n, mode: 'user', password: '', public: false });
      await zdb.create({ name: 's', size: 1n << 30n, mode: 'seq', password: '', public: false });
      const r = await client(zdb.server.port);
      await r.call('SELECT', 'u');
      for (let i = 0; i < 40; i++) await r.set('hot', Buffer.alloc(64 * 1024, i)); // 39 dead copies
      await r.set('cold', 'kept');
      await r.call('SELECT', 's');
      const ids: Buffer[] = [];
      for (let i = 0; i < 30; i++) ids.push((await r.callBuffer('SET', '', Buffer.alloc(64 * 1024, i))) as Buffer);
      for (const id of ids.slice(1)) await r.del(id as unknown as string); // the newest ids die
      r.disconnect();
      const before = zdb.server.namespace('u')!.logBytes;
      await zdb.close();

      zdb = await open();
      const u = zdb.server.namespace('u')!;
      expect(u.logBytes).toBeLessThan(before / 10);
      const r2 = await client(zdb.server.port);
      try {
        await r2.call('SELECT', 'u');
        expect((await r2.getBuffer('hot'))?.equals(Buffer.alloc(64 * 1024, 39))).toBe(true);
        const [, items] = (await r2.callBuffer('SCAN')) as [Buffer, Array<[Buffer, number, number]>];
        expect(items.map((i) => i[0].toString())).toEqual(['hot', 'cold']);
        await r2.call('SELECT', 's');
        expect(await r2.dbsize()).toBe(1);
        const next = (await r2.callBuffer('SET', '', 'after')) as Buffer;
        expect(next.readUInt32LE(0)).toBe(30); // deleted ids 1..29 are not handed out again
      } finally {
        r2.disconnect();
      }
    } finally {
      await zdb.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
