/**
 * Where the local chain's spec comes from (rmb-tfchain.md §C1, §C2, §C7): the team's patched spec in
 * `../shared` when present; otherwise the pinned upstream artefacts are downloaded into a cache directory,
 * checked against pinned SHA-256 sums, patched by `genesis-patch.ts`, and the result cached. Nothing
 * upstream is stored in the repository.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { ChainError } from '../../protocol/common/errors';
import { cryptoReady } from '../../protocol/common/identity';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { patchGenesis } from './genesis-patch';

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

export const SHARED_SPEC_NAME = 'tfchain-local-spec144.chainspec.json';
const PATCHED_NAME = 'tfchain-local-spec144.patched.json';

/** `//Alice` … `//Ferdie`, each as sr25519 and ed25519: funded in the local genesis. */
export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'] as const;

export async function devAccountIds(): Promise<Uint8Array[]> {
  await cryptoReady();
  const out: Uint8Array[] = [];
  for (const type of ['sr25519', 'ed25519'] as const) {
    const kr = new Keyring({ type });
    for (const n of DEV_NAMES) out.push(kr.addFromUri(`//${n}`).publicKey);
  }
  return out;
}

export function defaultCacheDir(): string {
  return process.env.TFGRID_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tfgrid', 'chain');
}

export function defaultSharedDir(): string {
  return process.env.TFGRID_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function download(url: string, expectSha: string, dest: string, log: Logger): Promise<Buffer> {
  if (fs.existsSync(dest)) {
    const b = fs.readFileSync(dest);
    if (sha256(b) === expectSha) return b;
    log.warn('cached artefact has the wrong checksum, downloading again', { file: dest });
  }
  log.info('downloading', { url });
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new ChainError(`download ${url}: ${String(err)}`, { fix: `download it by hand into ${path.dirname(dest)} as ${path.basename(dest)}` }, { cause: err });
  }
  if (!res.ok) throw new ChainError(`download ${url}: HTTP ${res.status}`, { fix: `download it by hand into ${path.dirname(dest)}` });
  const b = Buffer.from(await res.arrayBuffer());
  const got = sha256(b);
  if (got !== expectSha) throw new ChainError(`download ${url}: sha256 ${got}, expected ${expectSha}`, { fix: 'the pinned upstream file changed; report this' });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest + '.tmp', b);
  fs.renameSync(dest + '.tmp', dest);
  return b;
}

/**
 * Patches an upstream dev spec with a runtime blob and writes the result to `dest` (atomically).
 * `runtime` is the raw blob bytes as stored upstream (zstd-compressed wasm).
 */
export async function writePatchedSpec(upstreamSpec: unknown, runtime: Uint8Array, dest: string): Promise<string> {
  const { spec } = patchGenesis(upstreamSpec, { runtimeCode: u8aToHex(runtime), fundedAccounts: await devAccountIds() });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest + '.tmp', JSON.stringify(spec));
  fs.renameSync(dest + '.tmp', dest);
  return dest;
}

/**
 * The chain spec to run: `explicit` if given, `$TFGRID_CHAIN_SPEC`, the shared patched spec, a cached patched
 * spec, or (downloading the pinned artefacts) a freshly patched one.
 */
export async function resolveChainSpec(opts: { explicit?: string; sharedDir?: string; cacheDir?: string; log?: Logger } = {}): Promise<string> {
  const log = opts.log ?? silentLogger;
  for (const p of [opts.explicit, process.env.TFGRID_CHAIN_SPEC, path.join(opts.sharedDir ?? defaultSharedDir(), SHARED_SPEC_NAME)]) {
    if (p && fs.existsSync(p)) return p;
  }
  const cache = opts.cacheDir ?? defaultCacheDir();
  const patched = path.join(cache, PATCHED_NAME);
  if (fs.existsSync(patched)) return patched;
  const specBytes = await download(UPSTREAM.devSpec.url, UPSTREAM.devSpec.sha256, path.join(cache, UPSTREAM.devSpec.file), log);
  const runtime = await download(UPSTREAM.runtime.url, UPSTREAM.runtime.sha256, path.join(cache, UPSTREAM.runtime.file), log);
  log.info('patching upstream genesis', { out: patched });
  return writePatchedSpec(JSON.parse(specBytes.toString('utf8')), runtime, patched);
}
