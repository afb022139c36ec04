/** QsfsStore's errors name what they tried: every meta backend address and why it failed. */
import { createServer } from 'net';
import type { AddressInfo } from 'net';
import { silentLogger } from '../../../protocol/common/log';
import { QsfsStore } from './store';
import { testQsfsConfig } from './test-config';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('QsfsStore errors', () => {
  it('"no meta backend reachable" names every address tried and why', async () => {
    const a = `127.0.0.1:${await closedPort()}`;
    const b = `127.0.0.1:${await closedPort()}`;
    const store = new QsfsStore(testQsfsConfig([a, a, a, a], { metaAddresses: [a, b] }), silentLogger, { timeoutMs: 500 });
    const err = await store.loadIndex().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^qsfs: no meta backend reachable \(tried /);
    expect(err?.message).toContain(`${a}/qs-meta: `);
    expect(err?.message).toContain(`${b}/qs-meta: `);
    expect(err?.message).toMatch(/ECONNREFUSED|refused/);
    const w = await store.saveIndex({ version: 1, files: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(w?.message).toMatch(/^qsfs: no meta backend accepted the index \(tried .*qs-meta: /);
    await (store as unknown as { close?: () => Promise<void> }).close?.();
  });
});
