/**
 * The pinned upstream chain artefacts for tests: from the chain cache (`tfgrid local chain fetch`), else from
 * `../shared` when it holds them. Never downloads (tests reach only 127.0.0.1); fails with the fix instead.
 * @module
 */
import { loadPinnedArtefacts, type PinnedArtefacts } from '../../local/chain/artefact-cache';
import { defaultCacheDir } from '../../local/chain/artefacts';
import { TfgridError } from '../../protocol/common/errors';
import { SHARED_DIR } from './shared';

let cached: PinnedArtefacts | undefined;

export function pinnedChainArtefacts(): PinnedArtefacts {
  try {
    return (cached ??= loadPinnedArtefacts({ cacheDir: defaultCacheDir(), from: [SHARED_DIR] }));
  } catch (e) {
    // jest prints only the message: carry the fix into it
    if (e instanceof TfgridError && e.context.fix) throw new Error(`${e.message}; fix: ${e.context.fix}`, { cause: e });
    throw e;
  }
}
