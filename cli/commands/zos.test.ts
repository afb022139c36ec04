/** `tfgrid zos …` end to end: spawns `node bin/tfgrid` (zos-protocol.md §2, §2.8, §3.2; docs/style.md §4 exit codes). */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ownVectors, plainDeployment, vectorNamed } from '../../test/helpers/zos-vectors';

const ROOT = path.resolve(__dirname, '..', '..');
const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

/** Our vectors (test/fixtures/zos, computed by grid_client): deployment text and expected values by name. */
const vector = (name: string) => ({ deployment: plainDeployment(ownVectors(), name), expected: vectorNamed(ownVectors(), name).expected });

/**
 * Runs the CLI. `err` keeps only our own lines: other command groups load @polkadot packages, which print
 * duplicate-version warnings to stderr at start-up; those are not part of the zos verbs' output.
 */
function tfgrid(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tfgrid'), ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60000 });
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('tfgrid:') || (l.startsWith('  ') && !l.startsWith('\t') && /^\s+(fix:|at )/.test(l)));
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
    const all = vector('every_kind');
    const f = file('all.json', JSON.stringify(all.deployment));
    expect(tfgrid(['zos', 'hash', f])).toMatchObject({ code: 0, out: `${all.expected.md5_hex}\n` });
    expect(tfgrid(['zos', 'hash', '--challenge', '-'], JSON.stringify(all.deployment))).toMatchObject({ code: 0, out: `${all.expected.challenge_string}\n` });
  });

  it('sign --seed writes the expected ed25519 signature; verify refuses while a requested twin has not signed', () => {
    const two = vector('two_signers');
    const f = file('two.json', JSON.stringify(two.deployment));
    const signed = tfgrid(['zos', 'sign', f, '--type', 'ed25519', '--seed', SEED]);
    expect(signed.code).toBe(0);
    const out = JSON.parse(signed.out) as { signature_requirement: { signatures: { twin_id: number; signature: string }[] } };
    expect(out.signature_requirement.signatures).toEqual([{ twin_id: 99, signature: two.expected.ed25519_signature_default_hex, signature_type: 'ed25519' }]);
    const sf = file('twos.json', signed.out);
    // Twin 100 is requested too and did not sign: the node's quirk makes verification fail.
    expect(tfgrid(['zos', 'verify', sf, '--pubkey', PUB])).toMatchObject({ code: 1, err: 'tfgrid: failed to verify signature\n' });
  });

  it('sign --mnemonic --twin signs as the given twin with sr25519; verify checks it against that key', () => {
    const disk = vector('single_disk');
    const f = file('disk.json', JSON.stringify(disk.deployment));
    const signed = tfgrid(['zos', 'sign', f, '--type', 'sr25519', '--mnemonic', MNEMONIC, '--twin', '11']);
    expect(signed.code).toBe(0);
    const sf = file('disks.json', signed.out);
    const pub = ownVectors().mnemonic_vector.sr25519_public_key_hex;
    expect(tfgrid(['zos', 'verify', sf, '--pubkey', `11=${pub}`]).code).toBe(0);
    expect(tfgrid(['zos', 'verify', sf, '--pubkey', `11=${PUB}`]).code).toBe(1);
  });

  it("validate prints the node's error with the field and exits 1", () => {
    const bad = structuredClone(vector('single_disk').deployment) as { workloads: { data: { size: number } }[] };
    bad.workloads[0].data.size = 0;
    const f = file('bad.json', JSON.stringify(bad));
    expect(tfgrid(['zos', 'validate', f])).toMatchObject({ code: 1, err: `tfgrid: ${f}: workloads[0].data: invalid size\n` });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"version": 0,', /^tfgrid: .*: invalid JSON: /],
    [
      'a bad IP',
      JSON.stringify({ workloads: [{ name: 'a', type: 'zmachine', data: { network: { interfaces: [{ network: 'n', ip: '1.2.3' }] } } }] }),
      /workloads\[0\]\.data\.network\.interfaces\[0\]\.ip: failed to load data into object of type '\*zos\.ZMachine': invalid IP address: 1\.2\.3\n$/,
    ],
  ])('refuses %s with one line naming the field and exit 2', (_what, content, line) => {
    const r = tfgrid(['zos', 'hash', '-'], content);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(line);
    expect(r.err.trim().split('\n')).toHaveLength(1); // one line, no stack trace
  });

  it('refuses a bad --seed with exit 2', () => {
    const f = file('diskb.json', JSON.stringify(vector('single_disk').deployment));
    const r = tfgrid(['zos', 'sign', f, '--type', 'ed25519', '--seed', 'abcd']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^tfgrid: --seed: /);
  });
});
