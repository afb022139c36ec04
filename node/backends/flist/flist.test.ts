/** Pure parts of the flist contract: ZOS's mode rule and `.startup.toml` (zos-protocol.md §6.3). */
import { detectMode, parseStartupToml } from './flist';
import { splitWords, startupToml } from './docker-image';

describe('detectMode', () => {
  it.each([
    [['image.raw', 'boot/vmlinuz'], 'vm-image'],
    [['boot/vmlinuz'], 'vm-kernel'],
    [['bin/sh'], 'container'],
    [[], 'container'],
  ])('%j → %s', (files, mode) => {
    expect(detectMode((p) => (files as string[]).includes(p))).toBe(mode);
  });
});

describe('.startup.toml', () => {
  it('round-trips entry and env through startupToml and parseStartupToml', () => {
    const text = startupToml('/bin/sh -c "echo \\"hi\\""', { B: 'two words', A: '1' });
    expect(parseStartupToml(text)).toEqual({ entry: '/bin/sh -c "echo \\"hi\\""', env: { A: '1', B: 'two words' } });
  });
  it('ignores sections and keys it does not know', () => {
    expect(parseStartupToml('[other]\nname = "x"\n# comment\n[startup.entry.args]\ndir = "/"\n')).toEqual({ env: {} });
  });
});

describe('splitWords', () => {
  it.each([
    ['/bin/sh -c "echo hi; sleep 1"', ['/bin/sh', '-c', 'echo hi; sleep 1']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
    ['  x   ""  ', ['x', '']],
  ])('%s', (line, words) => {
    expect(splitWords(line)).toEqual(words);
  });
  it('rejects an unterminated quote', () => {
    expect(() => splitWords('echo "oops')).toThrow('unterminated quote');
  });
});
