/**
 * FlistBackend, state only: resolves a reference to a record without downloading or extracting anything. The
 * mode comes from the reference's name (`…image…` → vm-image, `…vmlinuz…|…kernel…` → vm-kernel) because the
 * sim never looks inside (zos-protocol.md §6.3). For machines without root; never CI's fallback.
 * @module
 */
import { createHash } from 'crypto';
import { ZosError } from '../../../protocol/common/errors';
import type { FlistBackend, FlistMode, ResolvedFlist } from './flist';

export function createSimFlists(): FlistBackend {
  const seen = new Set<string>();
  return {
    async resolve(url) {
      if (!url) throw new ZosError('flist reference is empty');
      const key = createHash('sha256').update(url).digest('hex');
      seen.add(key);
      const mode: FlistMode = /image/i.test(url) ? 'vm-image' : /vmlinuz|kernel/i.test(url) ? 'vm-kernel' : 'container';
      return { url, key, rootfs: `/sim/flists/${key}`, mode };
    },
    list: async () => [...seen].sort(),
    async prune(keep) {
      for (const k of [...seen]) if (!keep.has(k)) seen.delete(k);
    },
    async close() {},
  } satisfies FlistBackend & { resolve(url: string): Promise<ResolvedFlist> };
}
