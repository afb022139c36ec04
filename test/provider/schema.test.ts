/**
 * schema.json (pulumi-notes.md §2.7): valid against Pulumi's metaschema, generated from the zod schemas, and
 * not stale (fails when someone changes inputs without `make schema`).
 */
import Ajv2020 from 'ajv/dist/2020';
import * as fs from 'fs';
import * as path from 'path';
import { renderSchema } from '../../provider/schema';
import { readSharedJson } from '../helpers/shared';

const root = path.resolve(__dirname, '..', '..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('schema.json', () => {
  it('is up to date with the provider schemas (run `make schema`)', () => {
    expect(fs.readFileSync(path.join(root, 'schema.json'), 'utf8')).toBe(renderSchema(version));
  });

  it("validates against Pulumi's package metaschema", () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(readSharedJson<object>('pulumi-package-metaschema.json'));
    const schema = JSON.parse(renderSchema(version)) as Record<string, unknown>;
    const ok = validate(schema);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('describes every resource, marks secrets and the mnemonic, and lists required inputs', () => {
    const s = JSON.parse(renderSchema(version)) as {
      resources: Record<string, { properties: Record<string, { secret?: boolean }>; requiredInputs: string[] }>;
      config: { variables: Record<string, { secret?: boolean }> };
    };
    expect(Object.keys(s.resources).sort()).toEqual(
      ['FqdnProxy', 'HubFlist', 'NameProxy', 'Network', 'NodePicker', 'PublicIp', 'Qsfs', 'ZLogs', 'ZMachine', 'ZMount', 'Zdb'].map((t) => `tfgrid:index:${t}`),
    );
    expect(s.config.variables.mnemonic.secret).toBe(true);
    expect(s.resources['tfgrid:index:Zdb'].properties.generatedPassword.secret).toBe(true);
    expect(s.resources['tfgrid:index:Network'].properties.accessConfig.secret).toBe(true);
    expect(s.resources['tfgrid:index:Network'].properties.wgPrivateKeys.secret).toBe(true);
    expect(s.resources['tfgrid:index:Qsfs'].properties.dataKey.secret).toBe(true);
    expect(s.resources['tfgrid:index:ZMount'].requiredInputs.sort()).toEqual(['deployment', 'name', 'node', 'size']);
  });
});
