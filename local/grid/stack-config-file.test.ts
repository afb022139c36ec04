/**
 * `Pulumi.<stack>.yaml` written as the Pulumi CLI writes it (issue 18.5): fully qualified keys in a sorted `config`
 * map, strings quoted only when YAML would read another type, `secure:` values and other fields left untouched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { qualifyConfigKey, readStackConfig, setStackConfig, stackConfigPath } from './stack-config-file';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-stack-config-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('stack config file', () => {
  it('creates Pulumi.<stack>.yaml with a sorted config map, quoting what YAML would not read as a string', () => {
    const file = setStackConfig(dir, 'dev', { 'p:size': '2GiB', 'tfgrid:network': 'local', 'p:count': '3', 'p:on': 'yes', 'p:flag': 'true', 'p:url': 'http://h:1/x' });
    expect(file).toBe(path.join(dir, 'Pulumi.dev.yaml'));
    expect(fs.readFileSync(file, 'utf8')).toBe(
      ['config:', '  p:count: "3"', '  p:flag: "true"', '  p:on: "yes"', '  p:size: 2GiB', '  p:url: http://h:1/x', '  tfgrid:network: local', ''].join('\n'),
    );
    expect(readStackConfig(dir, 'dev').values).toEqual({ 'p:size': '2GiB', 'tfgrid:network': 'local', 'p:count': '3', 'p:on': 'yes', 'p:flag': 'true', 'p:url': 'http://h:1/x' });
  });

  it("keeps the CLI's secure values, other fields and comments, and overwrites a key in place", () => {
    const file = stackConfigPath(dir, 'org/proj/prod');
    expect(file).toBe(path.join(dir, 'Pulumi.prod.yaml'));
    fs.writeFileSync(file, '# by hand\nencryptionsalt: v1:salt\nconfig:\n  p:token:\n    secure: v1:abc\n  p:size: 1GiB\n  p:n: 4\n');
    setStackConfig(dir, 'org/proj/prod', { 'p:size': '3GiB', 'p:a': 'x' });
    expect(fs.readFileSync(file, 'utf8')).toBe('# by hand\nencryptionsalt: v1:salt\nconfig:\n  p:a: x\n  p:n: 4\n  p:size: 3GiB\n  p:token:\n    secure: v1:abc\n');
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
