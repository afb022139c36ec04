import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { diffWorkload } from '../workload-resource';
import { flistChecksumRefusal, type FetchText } from './flist-checksum';
import { zmachineKind } from './zmachine';

const FLIST = 'http://hub.test/tf/base.flist';
const MD5 = '0123456789abcdef0123456789abcdef';
const OTHER = 'ffffffffffffffffffffffffffffffff';

/** A hub that answers `<FLIST>.md5` with `status` and `text`, recording the URLs asked. */
function hub(status: number, text: string): FetchText & { asked: string[] } {
  const asked: string[] = [];
  return Object.assign(async (url: string) => (asked.push(url), { status, text }), { asked });
}

describe('flistChecksumRefusal', () => {
  it('accepts a checksum equal to the md5 the hub serves at <flist>.md5 (case-insensitive, trailing newline)', async () => {
    const get = hub(200, `${MD5}\n`);
    expect(await flistChecksumRefusal('vm', FLIST, MD5.toUpperCase(), get)).toBeUndefined();
    expect(get.asked).toEqual([`${FLIST}.md5`]);
  });

  it('refuses a mismatch naming flistChecksum, both md5s and the fix', async () => {
    const r = await flistChecksumRefusal('vm', FLIST, OTHER, hub(200, `${MD5}\n`));
    expect(r?.property).toBe('flistChecksum');
    expect(r?.reason).toBe(
      `ZMachine "vm": flistChecksum ${OTHER}: the flist ${FLIST} has md5 ${MD5} (from ${FLIST}.md5), not ${OTHER}. Fix: if that flist is the one you mean, set flistChecksum to "${MD5}"; otherwise fix flist`,
    );
  });

  it('refuses when the hub serves no .md5 (404) or something that is not an md5', async () => {
    const missing = await flistChecksumRefusal('vm', FLIST, MD5, hub(404, 'not found'));
    expect(missing).toEqual({ property: 'flistChecksum', reason: expect.stringMatching(/serves no md5 at http:\/\/hub\.test\/tf\/base\.flist\.md5 \(HTTP 404\)\. Fix: .*remove flistChecksum/) });
    const html = await flistChecksumRefusal('vm', FLIST, MD5, hub(200, '<html>'));
    expect(html?.reason).toMatch(/HTTP 200, body is not 32 hex: "<html>"/);
  });

  it('refuses when the hub does not answer, and asks nothing without a checksum', async () => {
    const down: FetchText = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    expect((await flistChecksumRefusal('vm', FLIST, MD5, down))?.reason).toMatch(/did not answer GET .*ECONNREFUSED.*Fix: make the hub reachable/);
    const get = hub(200, MD5);
    expect(await flistChecksumRefusal('vm', FLIST, undefined, get)).toBeUndefined();
    expect(get.asked).toEqual([]);
  });

  describe('over HTTP (the default fetch)', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/tf/base.flist.md5') return void res.end(`${MD5}\n`);
        res.writeHead(404).end('not found');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('matches, mismatches and misses against a real server', async () => {
      expect(await flistChecksumRefusal('vm', `${base}/tf/base.flist`, MD5)).toBeUndefined();
      expect((await flistChecksumRefusal('vm', `${base}/tf/base.flist`, OTHER))?.reason).toMatch(`has md5 ${MD5}`);
      expect((await flistChecksumRefusal('vm', `${base}/tf/gone.flist`, MD5))?.reason).toMatch(/HTTP 404/);
    });
  });
});

describe('flistChecksum in the ZMachine diff', () => {
  const machine = { node: 1, deployment: 'd', name: 'vm', flist: FLIST, network: { name: 'net' }, cpu: 1, memory: '1GiB' };
  const olds = { ...machine, flistChecksum: MD5, __inputs: { ...machine, flistChecksum: MD5 } };

  it('a new checksum alone is an update that replaces nothing (it is never on the wire)', () => {
    expect(diffWorkload(zmachineKind, olds, { ...machine, flistChecksum: OTHER })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(diffWorkload(zmachineKind, olds, { ...machine })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it('a new flist still replaces the machine', () => {
    expect(diffWorkload(zmachineKind, olds, { ...machine, flist: `${FLIST}2`, flistChecksum: OTHER }).replaces).toEqual(['flist']);
  });

  it('the wire data holds no checksum', () => {
    const i = zmachineKind.inputs.parse({ ...machine, flistChecksum: MD5 });
    expect(JSON.stringify(zmachineKind.toWire(i, { privateIp: '10.20.2.2', workloadType: 'zmachine' }), (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(MD5);
  });
});
