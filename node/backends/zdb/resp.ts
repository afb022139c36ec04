/**
 * RESP, the Redis wire protocol 0-db speaks (zos-protocol.md §6.6): an incremental request parser (multibulk arrays
 * and inline commands) and the reply encoders the command table uses.
 * @module
 */

/** One encoded reply: a ready string (`+OK\r\n`, `-err\r\n`, `:1\r\n`) or bytes. */
export type Reply = Buffer | string;

export function err(text: string): string {
  return `-${text}\r\n`;
}
export function bulk(v: Buffer | string): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
}
export function array(items: Reply[]): Buffer {
  return Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items.map((r) => (typeof r === 'string' ? Buffer.from(r) : r))]);
}

/** Incremental RESP request parser: multibulk arrays (what clients send) and inline commands. */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[][] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[][] = [];
    let pos = 0;
    for (;;) {
      const r = this.parseOne(pos);
      if (!r) break;
      out.push(r.argv);
      pos = r.next;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    return out;
  }

  private parseOne(pos: number): { argv: Buffer[]; next: number } | undefined {
    const b = this.buf;
    if (pos >= b.length) return undefined;
    if (b[pos] !== 0x2a /* '*' */) {
      const eol = b.indexOf(0x0a, pos);
      if (eol < 0) {
        if (b.length - pos > 65536) throw new Error('inline command too long');
        return undefined;
      }
      const line = b.subarray(pos, eol).toString().replace(/\r$/, '');
      return { argv: splitInline(line).map((s) => Buffer.from(s)), next: eol + 1 };
    }
    const crlf = b.indexOf('\r\n', pos);
    if (crlf < 0) return undefined;
    const n = Number.parseInt(b.subarray(pos + 1, crlf).toString(), 10);
    if (!Number.isFinite(n) || n > 1024 * 1024) throw new Error('invalid multibulk length');
    let p = crlf + 2;
    const argv: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (p >= b.length) return undefined;
      if (b[p] !== 0x24 /* '$' */) throw new Error("expected '$'");
      const e = b.indexOf('\r\n', p);
      if (e < 0) return undefined;
      const len = Number.parseInt(b.subarray(p + 1, e).toString(), 10);
      if (!Number.isFinite(len) || len < 0 || len > 512 * 1024 * 1024) throw new Error('invalid bulk length');
      const start = e + 2;
      if (start + len + 2 > b.length) return undefined;
      argv.push(Buffer.from(b.subarray(start, start + len)));
      p = start + len + 2;
    }
    return { argv, next: p };
  }
}

/** Inline commands split on spaces, with double quotes grouping (enough for telnet use). */
function splitInline(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}
