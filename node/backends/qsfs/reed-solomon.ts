/**
 * Systematic Reed-Solomon erasure coding over GF(2^8) for qsfs shards (zos-protocol.md §1.5 qsfs:
 * `minimal_shards` data shards, `expected_shards` in total; any `minimal` of them rebuild the data).
 * Written by hand: the maintained npm package (@ronomon/reed-solomon) is a native addon that needs a
 * compiler at install time, and a pure-TS codec of ~150 lines is fast enough for our block sizes.
 *
 * The encoding matrix is a Vandermonde matrix multiplied by the inverse of its top square, so the first
 * `k` shards are the data itself and every k×k submatrix stays invertible.
 * @module
 */

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
(() => {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d; // x^8 + x^4 + x^3 + x^2 + 1
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
})();

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}
function inv(a: number): number {
  if (a === 0) throw new Error('reed-solomon: inverse of 0');
  return EXP[255 - LOG[a]];
}
function pow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a] * n) % 255];
}

type Matrix = number[][];

function invert(m: Matrix): Matrix {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    while (p < n && a[p][c] === 0) p++;
    if (p === n) throw new Error('reed-solomon: singular matrix');
    [a[c], a[p]] = [a[p], a[c]];
    const f = inv(a[c][c]);
    for (let j = 0; j < 2 * n; j++) a[c][j] = mul(a[c][j], f);
    for (let r = 0; r < n; r++) {
      if (r === c || a[r][c] === 0) continue;
      const g = a[r][c];
      for (let j = 0; j < 2 * n; j++) a[r][j] ^= mul(g, a[c][j]);
    }
  }
  return a.map((row) => row.slice(n));
}

function multiply(x: Matrix, y: Matrix): Matrix {
  return x.map((row) => y[0].map((_, j) => row.reduce((acc, v, k) => acc ^ mul(v, y[k][j]), 0)));
}

/** out ^= coef * src, byte by byte, with a per-coefficient lookup table. */
function mulAdd(out: Uint8Array, src: Uint8Array, coef: number): void {
  if (coef === 0) return;
  if (coef === 1) {
    for (let i = 0; i < src.length; i++) out[i] ^= src[i];
    return;
  }
  const table = new Uint8Array(256);
  const lc = LOG[coef];
  for (let v = 1; v < 256; v++) table[v] = EXP[LOG[v] + lc];
  for (let i = 0; i < src.length; i++) out[i] ^= table[src[i]];
}

export interface ReedSolomon {
  readonly dataShards: number;
  readonly totalShards: number;
  /** Splits `data` into `dataShards` equal pieces (zero padded) and adds the parity shards. */
  encode(data: Uint8Array): Buffer[];
  /**
   * Rebuilds the original `length` bytes from any `dataShards` shards (missing ones are undefined).
   * Throws when fewer than `dataShards` are present.
   */
  decode(shards: Array<Uint8Array | undefined>, length: number): Buffer;
}

export function createReedSolomon(dataShards: number, totalShards: number): ReedSolomon {
  if (dataShards < 1 || totalShards < dataShards || totalShards > 255) {
    throw new Error(`reed-solomon: invalid shard counts ${dataShards}/${totalShards}`);
  }
  const k = dataShards;
  const n = totalShards;
  const vander: Matrix = Array.from({ length: n }, (_, r) => Array.from({ length: k }, (_, c) => pow(r, c)));
  const matrix = multiply(vander, invert(vander.slice(0, k)));

  return {
    dataShards: k,
    totalShards: n,
    encode(data) {
      const size = Math.max(1, Math.ceil(data.length / k));
      const shards: Buffer[] = [];
      for (let i = 0; i < k; i++) {
        const s = Buffer.alloc(size);
        s.set(data.subarray(i * size, Math.min(data.length, (i + 1) * size)));
        shards.push(s);
      }
      for (let r = k; r < n; r++) {
        const p = Buffer.alloc(size);
        for (let c = 0; c < k; c++) mulAdd(p, shards[c], matrix[r][c]);
        shards.push(p);
      }
      return shards;
    },
    decode(shards, length) {
      const present: number[] = [];
      for (let i = 0; i < shards.length && present.length < k; i++) if (shards[i]) present.push(i);
      if (present.length < k) throw new Error(`reed-solomon: need ${k} shards, have ${present.length}`);
      const size = shards[present[0]]!.length;
      const out = Buffer.alloc(k * size);
      if (present.every((idx, i) => idx === i)) {
        for (let i = 0; i < k; i++) out.set(shards[i]!, i * size);
        return out.subarray(0, length);
      }
      const dec = invert(present.map((r) => matrix[r]));
      for (let i = 0; i < k; i++) {
        const row = out.subarray(i * size, (i + 1) * size);
        for (let j = 0; j < k; j++) mulAdd(row, shards[present[j]]!, dec[i][j]);
      }
      return out.subarray(0, length);
    },
  };
}
