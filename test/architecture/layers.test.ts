/**
 * The layer rule of docs/architecture.md, checked on every product file: imports go only downward
 * (protocol ← node, provider ← sdk ← local, cli), node and provider do not import each other, and nothing in the
 * product imports test/. Tests, suites and fixtures may reach anywhere.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');
const RANK: Record<string, number> = { protocol: 0, node: 1, provider: 1, sdk: 2, local: 3, cli: 3 };
const IMPORT = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function productFiles(): string[] {
  const all = execFileSync('git', ['ls-files', '*.ts'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
  return all.filter((f) => f.split('/')[0] in RANK && !/\.(test|suite)\.ts$/.test(f) && !f.includes('/fixtures/'));
}

/** `from → to` for each import that breaks the rule. */
function wrongWayImports(files: string[], read: (f: string) => string): string[] {
  const out: string[] = [];
  for (const file of files) {
    const layer = file.split('/')[0];
    for (const m of read(file).matchAll(IMPORT)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
      const to = target.split('/')[0];
      if (to === 'test') out.push(`${file} → ${target} (product code imports test/)`);
      else if (to in RANK && RANK[to] > RANK[layer]) out.push(`${file} → ${target} (${layer} imports the higher layer ${to})`);
      else if (to !== layer && RANK[to] === 1 && RANK[layer] === 1) out.push(`${file} → ${target} (node and provider are siblings)`);
    }
  }
  return out;
}

describe('layers', () => {
  it('finds a wrong-way import when there is one (the check can fail)', () => {
    const files = { 'protocol/a.ts': "import { x } from '../provider/b';", 'node/c.ts': "const t = require('../test/helpers/x');", 'provider/d.ts': "import('../node/e')" };
    expect(wrongWayImports(Object.keys(files), (f) => files[f as keyof typeof files])).toHaveLength(3);
  });

  it('product code imports only downward and never test/', () => {
    const files = productFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(wrongWayImports(files, (f) => fs.readFileSync(path.join(REPO, f), 'utf8'))).toEqual([]);
  });
});
