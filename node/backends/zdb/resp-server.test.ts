/** RESP request parsing: split packets, pipelines, binary values, inline commands (zos-protocol.md §6.6). */
import { RespParser } from './resp-server';

const enc = (...args: Array<string | Buffer>) =>
  Buffer.concat([
    Buffer.from(`*${args.length}\r\n`),
    ...args.flatMap((a) => {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')];
    }),
  ]);

describe('RespParser', () => {
  it('waits for a command split at every byte boundary', () => {
    const wire = enc('SET', 'key', Buffer.from([0, 13, 10, 255]));
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new RespParser();
      expect(p.push(wire.subarray(0, cut))).toEqual([]);
      const [argv] = p.push(wire.subarray(cut));
      expect(argv.map((b) => b.toString('hex'))).toEqual([Buffer.from('SET').toString('hex'), Buffer.from('key').toString('hex'), '000d0aff']);
    }
  });

  it('returns every command of a pipeline in order', () => {
    const p = new RespParser();
    const cmds = p.push(Buffer.concat([enc('PING'), enc('GET', 'a'), enc('SET', '', 'x')]));
    expect(cmds.map((c) => c.map(String))).toEqual([['PING'], ['GET', 'a'], ['SET', '', 'x']]);
  });

  it('reads inline commands with quoted arguments', () => {
    const p = new RespParser();
    expect(p.push(Buffer.from('SELECT ns "my pass"\r\nPING\n')).map((c) => c.map(String))).toEqual([['SELECT', 'ns', 'my pass'], ['PING']]);
  });

  it('rejects a malformed multibulk', () => {
    expect(() => new RespParser().push(Buffer.from('*1\r\n+PING\r\n'))).toThrow("expected '$'");
  });
});
