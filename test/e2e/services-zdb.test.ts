/**
 * examples/zdb-user on the shared local grid (zos-protocol.md §1.5 zdb; issue 9 "Done when"): a real Redis
 * client (ioredis) selects the user-mode namespace with its password, writes and reads keys, is refused
 * without the password, and runs into the namespace's size limit. The grid's zdb servers listen where the
 * workload result says (`IPs`/`Port`), so the client connects to exactly those. On the sim backend (no
 * server) only the deployment is checked.
 */
import Redis from 'ioredis';
import type { GridState } from '../../local/grid/state';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
const PASSWORD = 'e2e-zdb-s3cret';
const CONFIG = { password: PASSWORD, size: '1MiB', node: '2' };
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

function client(host: string, port: number): Redis {
  return new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, enableOfflineQueue: false, retryStrategy: () => null });
}

describe('services: zdb through examples/zdb-user', () => {
  it('user mode with a password: SELECT ns password, refused without it, size limit enforced', async () => {
    const up = await runE2eExample(grid, 'zdb-user', 'up', CONFIG);
    try {
      const ns = String(up.outputs.namespace);
      const ips = up.outputs.ips as string[];
      const port = Number(up.outputs.port);
      expect(ns).toMatch(/^\d+-\d+-db$/); // ZOS: <twin>-<contract>-<workload name>
      expect(ips.length).toBeGreaterThan(0);
      expect(port).toBeGreaterThan(0);
      if (grid.backend !== 'linux') return; // the sim backend keeps state only: no zdb server to talk to

      const anon = client(ips[0], port);
      await anon.connect();
      try {
        await expect(anon.call('SELECT', ns)).rejects.toThrow(/Namespace protected and private/);
        await expect(anon.call('SELECT', ns, 'wrong-password')).rejects.toThrow(/Access denied/);
      } finally {
        anon.disconnect();
      }

      const c = client(ips[0], port);
      await c.connect();
      try {
        expect(await c.call('SELECT', ns, PASSWORD)).toBe('OK');
        expect(await c.set('greeting', 'hello zdb')).toBe('greeting'); // 0-db answers SET with the key
        expect(await c.set('answer', '42')).toBe('answer');
        expect(await c.get('greeting')).toBe('hello zdb');
        expect(await c.get('answer')).toBe('42');
        expect(await c.exists('greeting')).toBe(1);
        expect(await c.dbsize()).toBe(2);
        expect(await c.call('DEL', 'answer')).toBe('OK');
        expect(await c.get('answer')).toBeNull();

        // 1 MiB namespace: 64 KiB values fit ~15 times, then the server refuses.
        const chunk = 'x'.repeat(64 * 1024);
        let stored = 0;
        let refusal: Error | undefined;
        for (let i = 0; i < 40 && !refusal; i++) {
          try {
            await c.set(`blob${i}`, chunk);
            stored++;
          } catch (e) {
            refusal = e as Error;
          }
        }
        expect(refusal?.message).toMatch(/No space left on this namespace/);
        expect(stored).toBeGreaterThan(5);
        expect(stored).toBeLessThan(16);
        // What was stored before the limit is still readable.
        expect(await c.get('blob0')).toBe(chunk);
        expect(await c.get('greeting')).toBe('hello zdb');
      } finally {
        c.disconnect();
      }
    } finally {
      await runE2eExample(grid, 'zdb-user', 'destroy', CONFIG);
    }
  });
});
