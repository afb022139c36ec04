/**
 * Filling the chain cache offline (`tfgrid local chain fetch --from DIR`): only files whose SHA-256 is pinned
 * are taken, the runtime may come from a raw spec's `:code`, and what is missing is named with the fix.
 * The real pinned files come from the cache (or `../shared`), as the chain tests need them anyway.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { u8aToHex } from '@polkadot/util';
import { pinnedChainArtefacts } from '../../test/helpers/chain-artefacts';
import { cachedArtefactPath, fillCacheFrom, loadPinnedArtefacts, readCachedArtefact, sha256, UPSTREAM, type PinnedArtefacts } from './artefact-cache';

describe('chain artefact cache', () => {
  let pinned: PinnedArtefacts;
  let tmp: string;
  const dir = (name: string): string => {
    const p = path.join(tmp, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };

  beforeAll(() => {
    pinned = pinnedChainArtefacts();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-artefacts-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fills the cache from pinned files under any name, and the runtime from a raw spec whose :code is it', () => {
    const from = dir('from');
    fs.mkdirSync(path.join(from, 'deep', 'er'), { recursive: true });
    fs.writeFileSync(path.join(from, 'deep', 'er', 'whatever.json'), pinned.devSpec);
    const spec = JSON.parse(pinned.devSpec.toString('utf8')) as { genesis: { raw: { top: Record<string, string> } } };
    spec.genesis.raw.top['0x3a636f6465'] = u8aToHex(pinned.runtime);
    fs.writeFileSync(path.join(from, 'team.chainspec.json'), JSON.stringify(spec));
    const cache = dir('cache1');
    const sources = fillCacheFrom(from, cache);
    expect(sources).toEqual({ devSpec: path.join(from, 'deep', 'er', 'whatever.json'), runtime: `${path.join(from, 'team.chainspec.json')}#:code` });
    expect(sha256(fs.readFileSync(cachedArtefactPath(cache, 'devSpec')))).toBe(UPSTREAM.devSpec.sha256);
    expect(sha256(fs.readFileSync(cachedArtefactPath(cache, 'runtime')))).toBe(UPSTREAM.runtime.sha256);
    const loaded = loadPinnedArtefacts({ cacheDir: cache }); // Buffer.equals: jest's toEqual walks 2 MB byte by byte
    expect(loaded.devSpec.equals(pinned.devSpec) && loaded.runtime.equals(pinned.runtime)).toBe(true);
  });

  it('ignores files with the pinned names but other contents, and names what is missing with the fix', () => {
    const from = dir('impostors');
    fs.writeFileSync(path.join(from, UPSTREAM.devSpec.file), pinned.devSpec.subarray(1));
    fs.writeFileSync(path.join(from, UPSTREAM.runtime.file), pinned.runtime);
    const cache = dir('cache2');
    expect(() => fillCacheFrom(from, cache)).toThrow(new RegExp(`holds no ${UPSTREAM.devSpec.file} \\(sha256 ${UPSTREAM.devSpec.sha256}\\)$`));
    expect(() => loadPinnedArtefacts({ cacheDir: cache, from: [from] })).toThrow(/dev-chainSpecRaw\.json are not in/);
    const err = (() => {
      try {
        loadPinnedArtefacts({ cacheDir: cache });
      } catch (e) {
        return e as { context: { fix?: string } };
      }
    })();
    expect(err?.context.fix).toMatch(/tfgrid local chain fetch --from DIR/);
  });

  it('does not trust a cached file whose checksum is wrong, and a fill replaces it', () => {
    const cache = dir('cache3');
    fs.writeFileSync(cachedArtefactPath(cache, 'runtime'), Buffer.from('not the runtime'));
    expect(readCachedArtefact(cache, 'runtime')).toBeUndefined();
    const from = dir('good');
    fs.writeFileSync(path.join(from, 'a'), pinned.devSpec);
    fs.writeFileSync(path.join(from, 'b'), pinned.runtime);
    fillCacheFrom(from, cache);
    expect(readCachedArtefact(cache, 'runtime')?.equals(pinned.runtime)).toBe(true);
    expect(fs.readdirSync(cache).sort()).toEqual([UPSTREAM.devSpec.file, UPSTREAM.runtime.file].sort()); // no temporary files left
  });
});
