/**
 * The node's real services as `createNodeServices` builds them (runtime.ts; zos-protocol.md §1.5 qsfs
 * backends): the qsfs daemon opens every connection to its zdb backends through `ServiceHosts.dial` when one
 * is given (the local grid dials inside the node's host namespace), and files still land in those zdbs.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { silentLogger } from '../protocol/common/log';
import { testQsfsConfig } from './backends/qsfs/test-config';
import { createNodeServices, createSimBackends, type NodeServices } from './runtime';
import { MemoryChain, simConfig, tempDir } from '../test/node/fixtures';

describe('createNodeServices', () => {
  it('hands ServiceHosts.dial to the qsfs daemon for its zdb connections', async () => {
    const tmp = tempDir('tfg-rt-dial-');
    const config = simConfig(tmp.dir, { zdb: { port: 0, addresses: ['127.0.0.1'] }, qsfs: { metricsPort: 0 }, gateway: { listenHost: '127.0.0.1', httpPort: 0, httpsPort: 0 } });
    const sims = createSimBackends(config, new MemoryChain());
    const dialled: string[] = [];
    let services: NodeServices | undefined;
    try {
      services = await createNodeServices(config, new MemoryChain(), silentLogger, {
        network: sims.network,
        dir: path.join(tmp.dir, 'services'),
        prefix: `rt${process.pid % 10000}`,
        dial: (host, port) => (dialled.push(`${host}:${port}`), net.connect(port, host)),
      });
      const { zdb, qsfs } = services;
      for (let i = 0; i < 4; i++) await zdb.create({ name: `qs-data-${i}`, size: 1n << 30n, mode: 'seq', password: 'qs-pass', public: false });
      await zdb.create({ name: 'qs-meta', size: 1n << 26n, mode: 'user', password: 'qs-pass', public: false });
      const addr = `127.0.0.1:${zdb.endpoint().Port}`;
      const res = await qsfs.create({ workloadId: '7-1-qs', cache: 1n << 20n, config: testQsfsConfig([addr, addr, addr, addr]) });
      fs.writeFileSync(path.join(res.path, 'f'), Buffer.alloc(10_000, 3));
      await qsfs.flush('7-1-qs');
      expect(dialled.length).toBeGreaterThanOrEqual(5); // four data backends and the meta backend
      expect(new Set(dialled)).toEqual(new Set([addr]));
      for (let i = 0; i < 4; i++) expect((await zdb.get(`qs-data-${i}`))?.entries).toBeGreaterThan(0);
    } finally {
      for (const b of services ? [services.gateway, services.qsfs, services.zdb] : []) await b.close();
      for (const b of [sims.machine, sims.network, sims.storage, sims.flist]) await b.close().catch(() => undefined);
      tmp.remove();
    }
  });
});
