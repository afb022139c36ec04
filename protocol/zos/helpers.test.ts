/** Names, units and purity (zos-protocol.md §1.2 ids, §7 units; docs/style.md §1: protocol/zos does no I/O). */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { InputError } from '../common/errors';
import { base58Encode, formatSize, netId, parseSize, parseWorkloadId, workloadId } from './index';
import { goSplitHostPort, goUrlHostname, parseGoUrl } from './go-url';

describe('workloadId', () => {
  it('is <twin>-<contract>-<name>, with contract ids past 2^53 exact', () => {
    expect(workloadId(7, 1234n, 'vm1')).toBe('7-1234-vm1');
    expect(workloadId(7, 18446744073709551615n, 'x')).toBe('7-18446744073709551615-x');
    expect(parseWorkloadId('7-1234-vm_1')).toEqual({ twinId: 7, contractId: 1234n, name: 'vm_1' });
    expect(parseWorkloadId('nope')).toBeUndefined();
  });
});

describe('base58 (Bitcoin alphabet) and netId', () => {
  it.each([
    ['', ''],
    ['61', '2g'],
    ['626262', 'a3gV'],
    ['636363', 'aPEr'],
    ['68656c6c6f20776f726c64', 'StV1DL6CwTryKyV'],
    ['00000000000000000000', '1111111111'],
    ['000000287fb4cd', '111233QC4'],
  ])('encodes %s as %j', (hexIn, out) => {
    expect(base58Encode(Buffer.from(hexIn, 'hex'))).toBe(out);
  });
  it('is the first 13 characters of base58(md5("<twin>:<name>"))', () => {
    const full = base58Encode(createHash('md5').update('7:net1').digest());
    expect(netId(7, 'net1')).toBe(full.slice(0, 13));
    expect(netId(7, 'net1')).toHaveLength(13);
  });
  it('depends on twin and name only, so a network is shared across one twin deployments', () => {
    expect(netId(7, 'net1')).toBe(netId(7, 'net1'));
    expect(netId(7, 'net1')).not.toBe(netId(8, 'net1'));
    expect(netId(7, 'net1')).not.toBe(netId(7, 'net2'));
  });
});

describe('parseSize / formatSize', () => {
  it.each<[string | number | bigint, bigint]>([
    ['10GiB', 10737418240n],
    ['512MiB', 536870912n],
    ['1.5GiB', 1610612736n],
    ['2TiB', 2n * 1024n ** 4n],
    ['4KiB', 4096n],
    ['1024', 1024n],
    ['100B', 100n],
    [' 3 gib ', 3n * 1024n ** 3n],
    [42, 42n],
    [18446744073709551615n, 18446744073709551615n],
  ])('parses %s', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
  it.each(['10GB', '10G', '5m', '1e3', '-1', 'ten', '1.1B', ''])('refuses %j naming the field', (input) => {
    expect(() => parseSize(input, 'mounts[0].size')).toThrow(InputError);
    expect(() => parseSize(input, 'mounts[0].size')).toThrow(/^mounts\[0\]\.size: /);
  });
  it.each<[bigint, string]>([
    [10737418240n, '10GiB'],
    [536870912n, '512MiB'],
    [1536n, '1536B'],
    [1000n, '1000B'],
    [0n, '0B'],
  ])('formats %s as %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
  it('round-trips formatSize through parseSize', () => {
    for (const b of [1n, 4096n, 5n * 1024n ** 3n, 7n * 1024n ** 4n]) expect(parseSize(formatSize(b))).toBe(b);
  });
});

describe('Go url and host:port helpers', () => {
  it.each([
    ['http://10.0.0.1:8080/x', 'http', '10.0.0.1'],
    ['HTTP://[2a02::1]:80', 'http', '2a02::1'],
    ['ws://user@1.2.3.4', 'ws', '1.2.3.4'],
    ['http:10.0.0.1', 'http', ''],
    ['1.2.3.4', '', ''],
  ])('parses %s', (raw, scheme, hostname) => {
    const u = parseGoUrl(raw);
    expect(u.scheme).toBe(scheme);
    expect(goUrlHostname(u)).toBe(hostname);
  });
  it.each([
    [':x', 'parse ":x": missing protocol scheme'],
    ['http://a b', 'parse "http://a b": invalid character " " in host name'],
    ['http://[::1', `parse "http://[::1": missing ']' in host`],
    ['http://1.2.3.4:8o', 'parse "http://1.2.3.4:8o": invalid port ":8o" after host'],
    ['http://a\nb', 'parse "http://a\\nb": net/url: invalid control character in URL'],
  ])('refuses %j with Go text', (raw, text) => {
    expect(() => parseGoUrl(raw)).toThrow(text);
  });
  it.each([
    ['1.2.3.4:80', '1.2.3.4', '80'],
    ['[2a02::1]:443', '2a02::1', '443'],
    [':80', '', '80'],
  ])('splits %s', (hp, host, port) => {
    expect(goSplitHostPort(hp)).toEqual({ host, port });
  });
  it.each([
    ['1.2.3.4', 'address 1.2.3.4: missing port in address'],
    ['2a02::1:80', 'address 2a02::1:80: too many colons in address'],
    ['[2a02::1]', 'address [2a02::1]: missing port in address'],
    ['[2a02::1', "address [2a02::1: missing ']' in address"],
  ])('refuses %s with Go text', (hp, text) => {
    expect(() => goSplitHostPort(hp)).toThrow(text);
  });
});

describe('purity', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) files.push(p);
    }
  };
  walk(__dirname);
  it.each(files.map((f) => [path.relative(__dirname, f), f]))('%s does no I/O and reads no clock or randomness', (_name, file) => {
    const src = fs.readFileSync(file, 'utf8');
    expect(src).not.toMatch(/from '(node:)?(fs|net|child_process|http|https|dgram|os)'/);
    expect(src).not.toMatch(/require\(/);
    expect(src).not.toMatch(/Date\.now|new Date\(|Math\.random|process\.(env|argv|hrtime)|performance\.now/);
  });
});
