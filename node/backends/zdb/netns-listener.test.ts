/**
 * The zdb server on the node's address inside its host namespace (netns-listener.ts; zos-protocol.md §4
 * zdb result): a client *in that namespace* (redis-cli, as from another node) reaches the namespace at the
 * result's IP and port, PINGs, SELECTs with the password, writes and reads; the root namespace does not
 * have that address at all; an address missing there fails with the bind error (netns-listen.ts). Also: the
 * operator's admin password file of the real backend.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { silentLogger } from '../../../protocol/common/log';
import { describeWithTools } from '../../../test/helpers/require-tools';
import { exposeZdbInNetns } from './netns-listener';
import { createLinuxZdbBackend, ZDB_ADMIN_PASSWORD_FILE } from './linux';
import type { ZdbBackend } from './zdb';

const run = promisify(execFile);
const NS = `tfz${process.pid}`;
const ADDR = '198.18.77.2';

/** redis-cli in `netns` with `lines` on its stdin (one command each); returns its replies. */
async function redisCliIn(netns: string, host: string, port: number, lines: string[]): Promise<string[]> {
  const p = execFile('nsenter', [`--net=/run/netns/${netns}`, 'redis-cli', '-h', host, '-p', String(port)], { timeout: 20_000 });
  let out = '';
  p.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  p.stdin?.end(lines.join('\n') + '\n');
  await new Promise<void>((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli exited with ${code}: ${out}`)))));
  return out.split('\n').filter((l) => l.trim() !== ''); // redis-cli adds a blank line after an error
}

describeWithTools(['ip', 'nsenter', 'redis-cli'], { root: true })('zdb on the node address inside its namespace', () => {
  const dirs: string[] = [];
  let zdb: ZdbBackend | undefined;
  beforeAll(async () => {
    await run('ip', ['netns', 'add', NS]);
    await run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', NS, 'addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
  });
  afterAll(async () => {
    await zdb?.close();
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('serves the namespace at the result address to a client in that namespace', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbns-'));
    dirs.push(dataDir);
    const inner = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
    zdb = await exposeZdbInNetns({ log: silentLogger }, inner, { netns: NS, host: ADDR, port: 0 });
    const res = await zdb.create({ name: '7-12-db', size: 1n << 20n, mode: 'user', password: 'pw', public: false });
    expect(Object.keys(res)).toEqual(['Namespace', 'IPs', 'Port']);
    expect(res.IPs).toEqual([ADDR]);
    expect(res.Port).toBe(zdb.endpoint().Port);
    expect(res.Port).not.toBe(inner.endpoint().Port);

    const replies = await redisCliIn(NS, res.IPs[0], res.Port, ['PING', 'SELECT 7-12-db', 'SELECT 7-12-db pw', 'SET k hello', 'GET k', 'DBSIZE']);
    expect(replies).toEqual(['PONG', 'Namespace protected and private', 'OK', 'k', 'hello', '1']);
    expect((await zdb.get('7-12-db'))?.entries).toBe(1);
    // The address exists only in the node's namespace: nothing listens there in ours.
    const { stdout } = await run('ip', ['-o', 'addr']);
    expect(stdout).not.toContain(ADDR);
  });

  it('fails naming the address and the namespace when the address is not there', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbns-'));
    dirs.push(dataDir);
    const inner = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
    try {
      await expect(exposeZdbInNetns({ log: silentLogger }, inner, { netns: NS, host: '198.18.77.3' })).rejects.toThrow(new RegExp(`^listen on 198\\.18\\.77\\.3:9900 in ${NS}: .*EADDRNOTAVAIL`));
    } finally {
      await inner.close();
    }
  });
});

describe('zdb backend admin password', () => {
  it('is created once (mode 0600) and reused after a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdbadm-'));
    try {
      const a = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
      await a.close();
      const file = path.join(dataDir, ZDB_ADMIN_PASSWORD_FILE);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8').trim()).toBe(a.adminPassword);
      expect(a.adminPassword).toMatch(/^[0-9a-f]{32}$/);
      const b = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
      await b.close();
      expect(b.adminPassword).toBe(a.adminPassword);
      const c = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0, adminPassword: 'given' });
      await c.close();
      expect(c.adminPassword).toBe('given');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
