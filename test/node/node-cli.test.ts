/**
 * `tfgrid node run --config FILE` at the CLI edge (docs/style.md §4): a bad config is one line naming the
 * field, exit 2; a missing file likewise. (A good config is run by the crash-recovery test.)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const tfgrid = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tfgrid'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('tfgrid node run', () => {
  const tmp = tempDir('tfg-node-cli-');
  afterAll(() => tmp.remove());

  it.each([
    ['a size that is not a size', { resources: { cru: 1, mru: '10GB!' } }, /resources\.mru: "10GB!" is not a size/],
    // the one size parser: binary units by their full names, as everywhere else (`GB` would be a guess)
    ['a decimal unit', { resources: { cru: 1, mru: '16GB' } }, /resources\.mru: "16GB" is not a size/],
    ['an unknown backend', { backend: 'docker' }, /backend: Invalid enum value/],
    ['both mnemonic and seed', { identity: { mnemonic: 'a b c', seed: '11'.repeat(32) } }, /identity: give exactly one of identity.mnemonic or identity.seed/],
    ['an unknown key', { colour: 'blue' }, /Unrecognized key\(s\) in object: 'colour'/],
  ])('refuses %s with one line and exit 2', (_name, over, message) => {
    const file = path.join(tmp.dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    const good = {
      dataDir: 'data',
      backend: 'sim',
      identity: { seed: '11'.repeat(32) },
      chain: { urls: ['ws://127.0.0.1:1'] },
      relay: { urls: ['ws://127.0.0.1:2'] },
      node: { farmId: 1 },
      resources: { cru: 1, mru: '1GiB' },
    };
    fs.writeFileSync(file, JSON.stringify({ ...good, ...over }));
    const r = tfgrid('node', 'run', '--config', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^tfgrid: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack without --debug
  });

  it('names a missing config file', () => {
    const r = tfgrid('node', 'run', '--config', path.join(tmp.dir, 'nope.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot read node config');
  });
});
