/**
 * The challenge byte stream (zos-protocol.md §2.1): every item written with Go `fmt.Fprintf` and no
 * separators. One writer feeds md5 for the hash, or a string for `--challenge` and debugging.
 * @module
 */

/** Accumulates challenge items; `toString()` is the UTF-8 pre-image of the deployment hash. */
export class ChallengeWriter {
  private readonly parts: string[] = [];

  /** `%s` of a string, Name, type or style: the text itself. */
  str(s: string): this {
    this.parts.push(s);
    return this;
  }

  /** `%d` of an integer: base 10, no padding. Sizes are bigint so they pass 2^53 unchanged. */
  uint(n: number | bigint): this {
    this.parts.push(typeof n === 'bigint' ? n.toString() : String(n));
    return this;
  }

  /** `%t` of a bool. */
  bool(b: boolean): this {
    this.parts.push(b ? 'true' : 'false');
    return this;
  }

  /** `%x` of a decoded byte field; the schemas already keep these as lowercase hex. */
  hex(lowerHex: string): this {
    this.parts.push(lowerHex);
    return this;
  }

  /** `net.IP.String()` of a canonical IP; the nil IP (`''`) prints `<nil>`. */
  ip(canonical: string): this {
    this.parts.push(canonical === '' ? '<nil>' : canonical);
    return this;
  }

  /** `gridtypes.IPNet.String()` of a canonical CIDR; the empty network (`''`) prints `<nil>`. */
  ipnet(canonical: string): this {
    this.parts.push(canonical === '' ? '<nil>' : canonical);
    return this;
  }

  toString(): string {
    return this.parts.join('');
  }
}
