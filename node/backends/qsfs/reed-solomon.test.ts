/** Reed-Solomon: any `minimal` of `expected` shards rebuild the block (zos-protocol.md §1.5 qsfs). */
import { randomBytes } from 'crypto';
import { createReedSolomon } from './reed-solomon';

/** Every way to choose `k` of `n` indices. */
function choose(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...choose(n - 1, k - 1).map((c) => [...c, n - 1]), ...choose(n - 1, k)];
}

describe('reed-solomon', () => {
  it.each([
    [1, 1],
    [1, 3],
    [2, 4],
    [3, 5],
    [4, 6],
    [10, 14],
  ])('rebuilds %i-of-%i blocks from every subset of shards', (k, n) => {
    const rs = createReedSolomon(k, n);
    const data = randomBytes(1000 + k * 7 + 3);
    const shards = rs.encode(data);
    expect(shards).toHaveLength(n);
    expect(Buffer.concat(shards.slice(0, k)).subarray(0, data.length).equals(data)).toBe(true); // systematic
    const subsets = choose(n, k).slice(0, 200);
    for (const keep of subsets) {
      const partial = shards.map((s, i) => (keep.includes(i) ? s : undefined));
      expect(rs.decode(partial, data.length).equals(data)).toBe(true);
    }
  });

  it('refuses to decode with fewer than minimal shards', () => {
    const rs = createReedSolomon(3, 5);
    const shards = rs.encode(randomBytes(300));
    expect(() => rs.decode([shards[0], undefined, undefined, shards[3], undefined], 300)).toThrow('need 3 shards, have 2');
  });

  it('refuses impossible shard counts', () => {
    expect(() => createReedSolomon(3, 2)).toThrow('invalid shard counts 3/2');
    expect(() => createReedSolomon(0, 2)).toThrow('invalid shard counts 0/2');
  });
});
