/**
 * `tfgrid local chain fetch [--from DIR] [--cache-dir DIR]`: puts the pinned upstream chain artefacts (dev
 * spec, spec-144 runtime) into the cache the local chain reads them from (local/chain/artefact-cache.ts).
 * With `--from` it works offline: any file under DIR whose SHA-256 is pinned, or a raw chain spec whose
 * `:code` is the pinned runtime, is copied in; without it the pinned URLs are downloaded. Prints each
 * artefact's cache path and where it came from.
 * @module
 */
import type { Command } from 'commander';
import { createLineLogger } from '../../protocol/common/log';
import { defaultCacheDir } from '../../local/chain/artefacts';
import { ARTEFACT_NAMES, cachedArtefactPath, downloadArtefact, fillCacheFrom, type ArtefactSources } from '../../local/chain/artefact-cache';

export function registerLocalChainFetch(chain: Command): void {
  chain
    .command('fetch')
    .description('put the pinned upstream chain files into the cache (checked by sha256); --from DIR works offline')
    .option('--from <dir>', 'copy them from this directory (pinned files, or a raw spec whose :code is the pinned runtime)')
    .option('--cache-dir <dir>', 'the cache directory (default: $TFGRID_CACHE_DIR, else ~/.cache/tfgrid/chain)')
    .action(async (o: { from?: string; cacheDir?: string }) => {
      const log = createLineLogger((line) => process.stderr.write(line + '\n'), { level: 'info' });
      const cacheDir = o.cacheDir ?? defaultCacheDir();
      let sources: ArtefactSources = {};
      if (o.from) sources = fillCacheFrom(o.from, cacheDir, log);
      else for (const n of ARTEFACT_NAMES) await downloadArtefact(cacheDir, n, log);
      for (const n of ARTEFACT_NAMES) process.stdout.write(`${cachedArtefactPath(cacheDir, n)}${sources[n] ? `\t(from ${sources[n]})` : ''}\n`);
    });
}
