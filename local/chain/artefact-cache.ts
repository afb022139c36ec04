/**
 * The pinned upstream chain artefacts (rmb-tfchain.md §C2, §C7) in a cache directory: each file is only ever
 * taken when its SHA-256 is the pinned one, whether it is downloaded, copied from a directory (offline, e.g.
 * `tfgrid local chain fetch --from DIR`), or cut out of a raw chain spec whose `:code` is the pinned runtime.
 * Nothing upstream is stored in the repository.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { hexToU8a } from '@polkadot/util';
import { ChainError } from '../../protocol/common/errors';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { CODE_KEY, rawChainSpecSchema } from './genesis-patch';

const TFCHAIN_RAW = 'https://raw.githubusercontent.com/threefoldtech/tfchain';

/** Pinned upstream artefacts (§C2, §C7). */
export const UPSTREAM = {
  devSpec: {
    url: `${TFCHAIN_RAW}/33046d68072f9972b53e92f616a8852fe107f36e/substrate-node/chainspecs/dev/chainSpecRaw.json`,
    sha256: 'ba2b8d103fae255cbf9371f03c503cff8b78d090f892423b8ac18ea3e9baa69b',
    file: 'dev-chainSpecRaw.json',
  },
  runtime: {
    url: `${TFCHAIN_RAW}/439e691952d0a6470a8f74f7bb90e2d6c4b43b7a/runtime.wasm`,
    sha256: '6be30d4fd224b5eebc0aea36f0bd6baec296aff0bf1859507aa0bd926b3dd47b',
    file: 'runtime-spec144.wasm',
  },
} as const;

export type ArtefactName = keyof typeof UPSTREAM;
export const ARTEFACT_NAMES = Object.keys(UPSTREAM) as ArtefactName[];
export type PinnedArtefacts = Record<ArtefactName, Buffer>;

/** Where a filled cache came from, per artefact (a path, `path#:code`, or a URL). */
export type ArtefactSources = Partial<Record<ArtefactName, string>>;

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function cachedArtefactPath(cacheDir: string, name: ArtefactName): string {
  return path.join(cacheDir, UPSTREAM[name].file);
}

/** The cached artefact when its checksum is the pinned one. */
export function readCachedArtefact(cacheDir: string, name: ArtefactName): Buffer | undefined {
  const p = cachedArtefactPath(cacheDir, name);
  if (!fs.existsSync(p)) return undefined;
  const b = fs.readFileSync(p);
  return sha256(b) === UPSTREAM[name].sha256 ? b : undefined;
}

/** Writes atomically; the temporary name is per process so concurrent fillers do not clash. */
export function writeCachedArtefact(cacheDir: string, name: ArtefactName, b: Uint8Array): string {
  if (sha256(b) !== UPSTREAM[name].sha256) throw new ChainError(`${name}: sha256 ${sha256(b)}, expected ${UPSTREAM[name].sha256}`);
  const dest = cachedArtefactPath(cacheDir, name);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, b);
  fs.renameSync(tmp, dest);
  return dest;
}

const MAX_FILE = 64 << 20;

/** Regular files under `dir`, at most `depth` levels down, largest skipped. */
function* candidateFiles(dir: string, depth = 3): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) yield* candidateFiles(p, depth - 1);
    else if (e.isFile() && fs.statSync(p).size <= MAX_FILE) yield p;
  }
}

/** The runtime blob stored in a raw chain spec's `:code`, if `b` is one. */
function specRuntime(b: Buffer): Uint8Array | undefined {
  let json: unknown;
  try {
    json = JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
  const spec = rawChainSpecSchema.safeParse(json);
  const code = spec.success ? spec.data.genesis.raw.top[CODE_KEY] : undefined;
  return code ? hexToU8a(code) : undefined;
}

/**
 * The pinned artefacts found in `dir` (read only): files whose SHA-256 is pinned, and the runtime inside any
 * raw chain spec whose `:code` hashes to the pinned runtime.
 */
export function findPinnedIn(dir: string): { found: Partial<PinnedArtefacts>; sources: ArtefactSources } {
  const found: Partial<PinnedArtefacts> = {};
  const sources: ArtefactSources = {};
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return { found, sources };
  for (const p of candidateFiles(dir)) {
    if (ARTEFACT_NAMES.every((n) => found[n])) break;
    const b = fs.readFileSync(p);
    const sum = sha256(b);
    const name = ARTEFACT_NAMES.find((n) => UPSTREAM[n].sha256 === sum);
    if (name) {
      found[name] ??= b;
      sources[name] ??= p;
      continue;
    }
    if (!found.runtime && p.endsWith('.json')) {
      const code = specRuntime(b);
      if (code && sha256(code) === UPSTREAM.runtime.sha256) {
        found.runtime = Buffer.from(code);
        sources.runtime = `${p}#:code`;
      }
    }
  }
  return { found, sources };
}

function missingFix(cacheDir: string): string {
  return `run \`tfgrid local chain fetch\` (downloads the pinned files into ${cacheDir}), or \`tfgrid local chain fetch --from DIR\` with a directory holding them`;
}

/**
 * Copies the pinned artefacts found in `dir` into the cache (checked by SHA-256); throws naming what is still
 * missing. Artefacts already cached count as present.
 */
export function fillCacheFrom(dir: string, cacheDir: string, log: Logger = silentLogger): ArtefactSources {
  if (!fs.existsSync(dir)) throw new ChainError(`${dir}: no such directory`, { fix: 'give the directory that holds the pinned chain files' });
  const { found, sources } = findPinnedIn(dir);
  const out: ArtefactSources = {};
  for (const n of ARTEFACT_NAMES) {
    const b = found[n];
    if (b) {
      writeCachedArtefact(cacheDir, n, b);
      out[n] = sources[n];
      log.info('cached', { artefact: n, from: sources[n], to: cachedArtefactPath(cacheDir, n) });
    } else if (readCachedArtefact(cacheDir, n)) {
      out[n] = cachedArtefactPath(cacheDir, n);
    }
  }
  const missing = ARTEFACT_NAMES.filter((n) => !out[n]);
  if (missing.length) {
    throw new ChainError(`${dir} holds no ${missing.map((n) => `${UPSTREAM[n].file} (sha256 ${UPSTREAM[n].sha256})`).join(' and no ')}`, {
      fix: `put the pinned file there (${missing.map((n) => UPSTREAM[n].url).join(', ')})`,
    });
  }
  return out;
}

/** Downloads one pinned artefact into the cache (unless cached already) and checks its SHA-256. */
export async function downloadArtefact(cacheDir: string, name: ArtefactName, log: Logger = silentLogger): Promise<Buffer> {
  const cached = readCachedArtefact(cacheDir, name);
  if (cached) return cached;
  const { url } = UPSTREAM[name];
  if (fs.existsSync(cachedArtefactPath(cacheDir, name))) log.warn('cached artefact has the wrong checksum, downloading again', { file: cachedArtefactPath(cacheDir, name) });
  log.info('downloading', { url });
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new ChainError(`download ${url}: ${String(err)}`, { fix: `download it by hand into a directory and run \`tfgrid local chain fetch --from DIR\`` }, { cause: err });
  }
  if (!res.ok) throw new ChainError(`download ${url}: HTTP ${res.status}`, { fix: 'download it by hand and run `tfgrid local chain fetch --from DIR`' });
  const b = Buffer.from(await res.arrayBuffer());
  if (sha256(b) !== UPSTREAM[name].sha256) {
    throw new ChainError(`download ${url}: sha256 ${sha256(b)}, expected ${UPSTREAM[name].sha256}`, { fix: 'the pinned upstream file changed; report this' });
  }
  writeCachedArtefact(cacheDir, name, b);
  return b;
}

/**
 * The pinned artefacts without the network: from the cache, else from the first of `from` (directories,
 * e.g. `../shared`) that holds them; throws with the fix when some are in neither.
 */
export function loadPinnedArtefacts(opts: { cacheDir: string; from?: string[] }): PinnedArtefacts {
  const out: Partial<PinnedArtefacts> = {};
  for (const n of ARTEFACT_NAMES) out[n] = readCachedArtefact(opts.cacheDir, n);
  for (const dir of opts.from ?? []) {
    if (ARTEFACT_NAMES.every((n) => out[n])) break;
    const { found } = findPinnedIn(dir);
    for (const n of ARTEFACT_NAMES) out[n] ??= found[n];
  }
  const missing = ARTEFACT_NAMES.filter((n) => !out[n]);
  if (missing.length) {
    throw new ChainError(`the pinned chain artefacts ${missing.map((n) => UPSTREAM[n].file).join(', ')} are not in ${opts.cacheDir}${opts.from?.length ? ` nor ${opts.from.join(', ')}` : ''}`, {
      fix: missingFix(opts.cacheDir),
    });
  }
  return out as PinnedArtefacts;
}
