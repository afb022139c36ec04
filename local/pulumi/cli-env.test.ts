import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backendUrl, pulumiPassphrase } from './cli-env';
import { programEntry } from './program-entry';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-pulumi-env-'));

describe('the Pulumi CLI environment', () => {
  it('takes the passphrase from the environment, else generates one once and keeps it 0600', () => {
    const file = path.join(tmp(), 'sub', 'pulumi-passphrase');
    expect(pulumiPassphrase({ PULUMI_CONFIG_PASSPHRASE: 'given' }, file)).toBe('given');
    expect(fs.existsSync(file)).toBe(false);
    const first = pulumiPassphrase({}, file);
    expect(first.length).toBeGreaterThanOrEqual(24);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(pulumiPassphrase({}, file)).toBe(first);
  });

  it("keeps the state in a file backend under the grid's directory, unless PULUMI_BACKEND_URL names one", () => {
    expect(backendUrl('/g/dir', {})).toBe('file:///g/dir/pulumi-state');
    expect(backendUrl('/g/dir', { PULUMI_BACKEND_URL: 'file:///srv/state' })).toBe('file:///srv/state');
  });
});

describe('programEntry', () => {
  it("finds Pulumi.yaml's main (file or directory), else package.json's main, else index.ts", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), 'name: p\nruntime: nodejs\n');
    expect(() => programEntry(dir)).toThrow(/no program to run/);
    fs.writeFileSync(path.join(dir, 'index.ts'), '');
    expect(programEntry(dir)).toBe(path.join(dir, 'index.ts'));
    fs.writeFileSync(path.join(dir, 'app.ts'), '');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'app.ts' }));
    expect(programEntry(dir)).toBe(path.join(dir, 'app.ts'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'index.js'), '');
    fs.writeFileSync(path.join(dir, 'Pulumi.yaml'), 'name: p\nruntime: nodejs\nmain: src/\n');
    expect(programEntry(dir)).toBe(path.join(dir, 'src', 'index.js'));
  });
});
