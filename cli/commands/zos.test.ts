/** `tfgrid zos …` end to end: spawns `node bin/tfgrid` (zos-protocol.md §2, §2.8, §3.2; docs/style.md §4 exit codes). */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSharedJson } from '../../test/helpers/shared';

const ROOT = path.resolve(__dirname, '..', '..');
const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

interface Vec {
  name: string;
  deployment: Record<string, unknown>;
  expected: { challenge_string: string; md5_hex: string; ed25519_signature_default_hex: string; ed25519_signature_polka_hex: string };
}
const VECTORS = readSharedJson<{ vectors: Vec[] }>('vectors', 'zos-protocol-vectors.json').vectors;

/**
 * Runs the CLI. `err` keeps only our own lines: other command groups load @polkadot packages, which print
 * duplicate-version warnings to stderr at start-up; those are not part of the zos verbs' output.
 */
function tfgrid(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tfgrid'), ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60000 });
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('tfgrid:') || l.startsWith('  ') && !l.startsWith('\t') && /^\s+(fix:|at )/.test(l));
  return { code: r.status, out: r.stdout, err: ours.length ? `${ours.join('\n')}\n` : '' };
}

let dir: string;
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-zos-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('tfgrid zos', () => {
  it('hash prints the contract hash of a file, and --challenge the pre-image from stdin', () => {
    const v2 = VECTORS[1];
    const f = file('v2.json', JSON.stringify(v2.deployment));
    expect(tfgrid(['zos', 'hash', f])).toMatchObject({ code: 0, out: `${v2.expected.md5_hex}\n` });
    expect(tfgrid(['zos', 'hash', '--challenge', '-'], JSON.stringify(v2.deployment))).toMatchObject({ code: 0, out: `${v2.expected.challenge_string}\n` });
  });

  it('sign --seed writes the expected ed25519 signature (polka style for v3), and verify accepts it', () => {
    const v3 = VECTORS[2];
    const f = file('v3.json', JSON.stringify(v3.deployment));
    const signed = tfgrid(['zos', 'sign', f, '--type', 'ed25519', '--seed', SEED]);
    expect(signed.code).toBe(0);
    const out = JSON.parse(signed.out) as { signature_requirement: { signatures: { twin_id: number; signature: string }[] } };
    expect(out.signature_requirement.signatures).toEqual([{ twin_id: 99, signature: v3.expected.ed25519_signature_polka_hex, signature_type: 'ed25519' }]);
    const sf = file('v3s.json', signed.out);
    // Twin 100 is requested too and did not sign: the node's quirk makes verification fail.
    expect(tfgrid(['zos', 'verify', sf, '--pubkey', PUB])).toMatchObject({ code: 1, err: 'tfgrid: failed to verify signature\n' });
  });

  it('sign --mnemonic --twin signs as the given twin with sr25519; verify checks it against that key', () => {
    const v1 = VECTORS[0];
    const f = file('v1.json', JSON.stringify(v1.deployment));
    const signed = tfgrid(['zos', 'sign', f, '--type', 'sr25519', '--mnemonic', MNEMONIC, '--twin', '42']);
    expect(signed.code).toBe(0);
    const sf = file('v1s.json', signed.out);
    expect(tfgrid(['zos', 'verify', sf, '--pubkey', '42=46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a']).code).toBe(0);
  });

  it("validate prints the node's error with the field and exits 1", () => {
    const bad = structuredClone(VECTORS[0].deployment) as { workloads: { data: { size: number } }[] };
    bad.workloads[0].data.size = 0;
    const f = file('bad.json', JSON.stringify(bad));
    expect(tfgrid(['zos', 'validate', f])).toMatchObject({ code: 1, err: `tfgrid: ${f}: workloads[0].data: invalid size\n` });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"version": 0,', /^tfgrid: .*: invalid JSON: /],
    ['a bad IP', JSON.stringify({ workloads: [{ name: 'a', type: 'zmachine', data: { network: { interfaces: [{ network: 'n', ip: '1.2.3' }] } } }] }), /workloads\[0\]\.data\.network\.interfaces\[0\]\.ip: failed to load data into object of type '\*zos\.ZMachine': invalid IP address: 1\.2\.3\n$/],
  ])('refuses %s with one line naming the field and exit 2', (_what, content, line) => {
    const r = tfgrid(['zos', 'hash', '-'], content);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(line);
    expect(r.err.trim().split('\n')).toHaveLength(1); // one line, no stack trace
  });

  it('refuses a bad --seed with exit 2', () => {
    const f = file('v1b.json', JSON.stringify(VECTORS[0].deployment));
    const r = tfgrid(['zos', 'sign', f, '--type', 'ed25519', '--seed', 'abcd']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^tfgrid: --seed: /);
  });
});
