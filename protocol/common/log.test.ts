/** Secrets never reach a log line: field names that look secret are redacted, recursively. */
import { createLineLogger, redact } from './log';

describe('redact', () => {
  it.each(['mnemonic', 'seed', 'myceliumSeed', 'wgPrivateKey', 'privateKey', 'secret', 'password', 'token', 'jwt', 'hex_key', 'key', 'keyPair', 'myceliumKeys', 'accessPrivateKey'])(
    'hides %s',
    (field) => {
      expect(redact({ [field]: 'x' })).toEqual({ [field]: '[redacted]' });
    },
  );

  it.each(['machine', 'contractId', 'ip', 'monkeys_count', 'publicIp'])('keeps %s', (field) => {
    expect(redact({ [field]: 'x' })).toEqual({ [field]: 'x' });
  });

  it('walks nested objects, leaves empty values and logs errors as their message', () => {
    const err = new Error('boom');
    expect(redact({ net: { myceliumKeys: { n1: 'k' }, name: 'n' }, password: '', err })).toEqual({
      net: { myceliumKeys: '[redacted]', name: 'n' },
      password: '',
      err: 'boom',
    });
  });

  it('applies to every line a logger writes', () => {
    const lines: string[] = [];
    createLineLogger((l) => lines.push(l), { fields: { mnemonic: 'word word' } }).info('deploy', { myceliumKeys: { 1: 'aa' } });
    expect(lines.join('\n')).not.toMatch(/word word|aa/);
    expect(lines.join('\n')).toContain('[redacted]');
  });
});
