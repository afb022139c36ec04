/**
 * Where the local chain's spec comes from (rmb-tfchain.md §C1, §C2, §C7): the team's patched spec in
 * `../shared` when present; otherwise the pinned upstream artefacts in the cache directory (downloaded there,
 * or filled offline by `tfgrid local chain fetch --from DIR`: artefact-cache.ts), patched by
 * `genesis-patch.ts`, and the result cached. Nothing upstream is stored in the repository.
 * @module
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoReady } from '../../protocol/common/identity';
import { silentLogger, type Logger } from '../../protocol/common/log';
import { downloadArtefact } from './artefact-cache';
import { patchGenesis } from './genesis-patch';

export { UPSTREAM } from './artefact-cache';

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

/**
 * Patches an upstream dev spec with a runtime blob and writes the result to `dest` (atomically).
 * `runtime` is the raw blob bytes as stored upstream (zstd-compressed wasm).
 */
export async function writePatchedSpec(upstreamSpec: unknown, runtime: Uint8Array, dest: string): Promise<string> {
  const { spec } = patchGenesis(upstreamSpec, { runtimeCode: u8aToHex(runtime), fundedAccounts: await devAccountIds() });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`; // per process: two grids may patch into one cache at once
  fs.writeFileSync(tmp, JSON.stringify(spec));
  fs.renameSync(tmp, dest);
  return dest;
}

/**
 * The chain spec to run: `explicit` if given, `$TFGRID_CHAIN_SPEC`, the shared patched spec, a cached patched
 * spec, or one freshly patched from the cached pinned artefacts (downloading those not cached yet).
 */
export async function resolveChainSpec(opts: { explicit?: string; sharedDir?: string; cacheDir?: string; log?: Logger } = {}): Promise<string> {
  const log = opts.log ?? silentLogger;
  for (const p of [opts.explicit, process.env.TFGRID_CHAIN_SPEC, path.join(opts.sharedDir ?? defaultSharedDir(), SHARED_SPEC_NAME)]) {
    if (p && fs.existsSync(p)) return p;
  }
  const cache = opts.cacheDir ?? defaultCacheDir();
  const patched = path.join(cache, PATCHED_NAME);
  if (fs.existsSync(patched)) return patched;
  const specBytes = await downloadArtefact(cache, 'devSpec', log);
  const runtime = await downloadArtefact(cache, 'runtime', log);
  log.info('patching upstream genesis', { out: patched });
  return writePatchedSpec(JSON.parse(specBytes.toString('utf8')), runtime, patched);
}
