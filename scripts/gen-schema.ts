/**
 * `make schema`: writes schema.json from the provider's zod schemas (provider/schema.ts, pulumi-notes.md §2.7).
 * Run: node -r @swc-node/register scripts/gen-schema.ts [--check]
 * With --check it only compares and exits 1 when schema.json is stale.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderSchema } from '../provider/schema';

const root = path.resolve(__dirname, '..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const target = path.join(root, 'schema.json');
const text = renderSchema(version);
if (process.argv.includes('--check')) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write('schema.json is stale: run `make schema`\n');
    process.exit(1);
  }
} else {
  fs.writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
