/**
 * `make docs`: writes docs/resources.md from schema.json (scripts/resources-doc.ts).
 * Run: node -r @swc-node/register scripts/gen-docs.ts [--check]; with --check it exits 1 when the file is stale.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderResourcesDoc, type PackageSchema } from './resources-doc';

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'docs', 'resources.md');
const text = renderResourcesDoc(JSON.parse(fs.readFileSync(path.join(root, 'schema.json'), 'utf8')) as PackageSchema);
if (process.argv.includes('--check')) {
  if ((fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '') !== text) {
    process.stderr.write('docs/resources.md is stale: run `make docs`\n');
    process.exit(1);
  }
} else {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
