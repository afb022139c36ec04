/**
 * `Pulumi.<stack>.yaml` written as the Pulumi CLI writes it (issue 18.5): fully qualified keys in the order they
 * were first set, strings quoted only when YAML would read another type, `secure:` values and other fields left
 * untouched. PULUMI_WRITTEN is the file `pulumi config set` of Pulumi v3.276.0 (`make pulumi`) wrote for the same
 * sequence of sets, byte for byte.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { qualifyConfigKey, readStackConfig, setStackConfig, stackConfigPath } from './stack-config-file';

const SALT = 'v1:2HZyxD35a/w=:v1:CNwwpGgaawU3Yy//:83ngAQkCXk+Wb5Ei/2PDmURWPpbNIA==';
const SECURE = 'v1:G8Nsc9FSXh0ntchV:tCK0TXMMBDgkZg428NVrJoqhCozRXw==';
const PULUMI_WRITTEN = `encryptionsalt: ${SALT}
config:
  cmp:size: 2GiB
  cmp:count: "4"
  cmp:on: "yes"
  cmp:flag: "true"
  cmp:url: http://h:1/x
  tfgrid:network: local
  cmp:sp: a b
  cmp:empty: ""
  cmp:colon: a:b
  cmp:hash: "#x"
  cmp:lead: x
  cmp:tok:
    secure: ${SECURE}
  cmp:multi: |-
    a
    b
  cmp:zero: "0x1f"
  cmp:n: "null"
`;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-stack-config-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('stack config file', () => {
  it('creates Pulumi.<stack>.yaml with keys in the order set, quoting what YAML would not read as a string', () => {
    const file = setStackConfig(dir, 'dev', { 'p:size': '2GiB', 'tfgrid:network': 'local', 'p:count': '3', 'p:on': 'yes', 'p:flag': 'true', 'p:url': 'http://h:1/x' });
    expect(file).toBe(path.join(dir, 'Pulumi.dev.yaml'));
    expect(fs.readFileSync(file, 'utf8')).toBe(['config:', '  p:size: 2GiB', '  tfgrid:network: local', '  p:count: "3"', '  p:on: "yes"', '  p:flag: "true"', '  p:url: http://h:1/x', ''].join('\n'));
    expect(readStackConfig(dir, 'dev').values).toEqual({ 'p:size': '2GiB', 'tfgrid:network': 'local', 'p:count': '3', 'p:on': 'yes', 'p:flag': 'true', 'p:url': 'http://h:1/x' });
  });

  it('writes byte for byte what `pulumi config set` writes for the same sets', () => {
    const file = stackConfigPath(dir, 'dev');
    fs.writeFileSync(file, `encryptionsalt: ${SALT}\n`);
    const sets: [string, string][] = [
      ['cmp:size', '2GiB'],
      ['cmp:count', '3'],
      ['cmp:on', 'yes'],
      ['cmp:flag', 'true'],
      ['cmp:url', 'http://h:1/x'],
      ['tfgrid:network', 'local'],
      ['cmp:sp', 'a b'],
      ['cmp:empty', ''],
      ['cmp:colon', 'a:b'],
      ['cmp:hash', ''],
      ['cmp:lead', 'x'],
      ['cmp:count', '4'],
    ];
    for (const [k, v] of sets) setStackConfig(dir, 'dev', { [k]: v });
    // `pulumi config set --secret cmp:tok …` came next: its line as the CLI wrote it
    fs.appendFileSync(file, `  cmp:tok:\n    secure: ${SECURE}\n`);
    for (const [k, v] of [
      ['cmp:hash', '#x'],
      ['cmp:multi', 'a\nb'],
      ['cmp:zero', '0x1f'],
      ['cmp:n', 'null'],
    ])
      setStackConfig(dir, 'dev', { [k]: v });
    expect(fs.readFileSync(file, 'utf8')).toBe(PULUMI_WRITTEN);
    expect(readStackConfig(dir, 'dev').values['cmp:multi']).toBe('a\nb');
  });

  it("keeps the CLI's secure values, other fields and comments, and overwrites a key in place", () => {
    const file = stackConfigPath(dir, 'org/proj/prod');
    expect(file).toBe(path.join(dir, 'Pulumi.prod.yaml'));
    fs.writeFileSync(file, '# by hand\nencryptionsalt: v1:salt\nconfig:\n  p:token:\n    secure: v1:abc\n  p:size: 1GiB\n  p:n: 4\n');
    setStackConfig(dir, 'org/proj/prod', { 'p:size': '3GiB', 'p:a': 'x' });
    expect(fs.readFileSync(file, 'utf8')).toBe('# by hand\nencryptionsalt: v1:salt\nconfig:\n  p:token:\n    secure: v1:abc\n  p:size: 3GiB\n  p:n: 4\n  p:a: x\n');
    const read = readStackConfig(dir, 'prod');
    expect(read.values).toEqual({ 'p:a': 'x', 'p:n': '4', 'p:size': '3GiB' });
    expect(read.secure).toEqual(['p:token']);
  });

  it('reads a missing file as empty and refuses a key without namespace or a broken file', () => {
    expect(readStackConfig(dir, 'none')).toEqual({ values: {}, secure: [], file: path.join(dir, 'Pulumi.none.yaml') });
    expect(() => setStackConfig(dir, 'dev', { size: '1' })).toThrow('config key "size": expected <namespace>:<name>');
    fs.writeFileSync(path.join(dir, 'Pulumi.bad.yaml'), 'config: [1, 2]\n');
    expect(() => readStackConfig(dir, 'bad')).toThrow('`config` must be a map');
  });

  it('qualifies a bare key with the project, as `pulumi config set` does', () => {
    expect(qualifyConfigKey('web', 'size')).toBe('web:size');
    expect(qualifyConfigKey('web', 'tfgrid:network')).toBe('tfgrid:network');
  });
});
