/**
 * docs/resources.md is the reference generated from schema.json: fresh (fails when schema.json changed without
 * `make docs`) and complete (every resource, input and config key appears).
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderResourcesDoc, type PackageSchema } from '../../scripts/resources-doc';

const root = path.resolve(__dirname, '..', '..');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schema.json'), 'utf8')) as PackageSchema;

describe('docs/resources.md', () => {
  it('is up to date with schema.json (run `make docs`)', () => {
    expect(fs.readFileSync(path.join(root, 'docs', 'resources.md'), 'utf8')).toBe(renderResourcesDoc(schema));
  });

  it('names every resource, every input with its description, and every config key with its variable', () => {
    const doc = renderResourcesDoc(schema);
    for (const [token, r] of Object.entries(schema.resources)) {
      expect(doc).toContain(`## ${token.split(':').pop()}\n`);
      for (const [k, p] of Object.entries(r.inputProperties)) {
        expect(doc).toContain(`| \`${k}\` |`);
        expect(doc).toContain(p.description ?? '(none)');
      }
    }
    for (const [k, v] of Object.entries(schema.config.variables)) expect(doc).toContain(`| \`tfgrid:${k}\` | \`${v.defaultInfo?.environment?.[0]}\``);
  });
});
