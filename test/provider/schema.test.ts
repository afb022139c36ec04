/**
 * schema.json (pulumi-notes.md §2.7): valid against Pulumi's metaschema (from the pinned Pulumi Go module that
 * `make pulumi` fetches), generated from the zod schemas, and not stale (fails when someone changes inputs
 * without `make schema`).
 */
import Ajv2020 from 'ajv/dist/2020';
import * as fs from 'fs';
import * as path from 'path';
import { renderSchema } from '../../provider/schema';
import { pulumiMetaschemaPath, readPulumiMetaschema } from '../helpers/pulumi-metaschema';

const root = path.resolve(__dirname, '..', '..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('schema.json', () => {
  it('is up to date with the provider schemas (run `make schema`)', () => {
    expect(fs.readFileSync(path.join(root, 'schema.json'), 'utf8')).toBe(renderSchema(version));
  });

  it("validates against Pulumi's package metaschema", () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const metaschema = readPulumiMetaschema();
    expect(metaschema).toMatchObject({ title: 'Pulumi Package Metaschema' });
    const validate = ajv.compile(metaschema);
    const schema = JSON.parse(renderSchema(version)) as Record<string, unknown>;
    const ok = validate(schema);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is checked by a metaschema that refuses a bad resource token and a missing name', () => {
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(readPulumiMetaschema());
    const schema = JSON.parse(renderSchema(version)) as { name?: string; resources: Record<string, unknown> };
    expect(validate({ ...schema, resources: { 'bad token': {} } })).toBe(false);
    const { name: _name, ...nameless } = schema;
    expect(validate(nameless)).toBe(false);
    expect(pulumiMetaschemaPath()).toMatch(/pulumi\.json$|pulumi-package-metaschema\.json$/);
  });

  it('describes every resource, marks secrets and the mnemonic, and lists required inputs', () => {
    const s = JSON.parse(renderSchema(version)) as {
      resources: Record<string, { properties: Record<string, { secret?: boolean }>; requiredInputs: string[] }>;
      config: { variables: Record<string, { secret?: boolean }> };
    };
    expect(Object.keys(s.resources).sort()).toEqual(
      ['FqdnProxy', 'HubFlist', 'Kubernetes', 'NameProxy', 'Network', 'NodePicker', 'PublicIp', 'Qsfs', 'RentContract', 'Volume', 'ZLogs', 'ZMachine', 'ZMount', 'Zdb'].map((t) => `tfgrid:index:${t}`),
    );
    expect(s.config.variables.mnemonic.secret).toBe(true);
    expect(s.resources['tfgrid:index:Zdb'].properties.generatedPassword.secret).toBe(true);
    expect(s.resources['tfgrid:index:Network'].properties.accessConfig.secret).toBe(true);
    expect(s.resources['tfgrid:index:Network'].properties.wgPrivateKeys.secret).toBe(true);
    expect(s.resources['tfgrid:index:Qsfs'].properties.dataKey.secret).toBe(true);
    expect(s.resources['tfgrid:index:ZMount'].requiredInputs.sort()).toEqual(['deployment', 'name', 'node', 'size']);
    expect(s.resources['tfgrid:index:Volume'].requiredInputs.sort()).toEqual(['deployment', 'name', 'node', 'size']);
  });

  it('describes every input, output and nested field (names the ones without a description)', () => {
    type Props = Record<string, { description?: string }>;
    const s = JSON.parse(renderSchema(version)) as {
      resources: Record<string, { properties: Props; inputProperties: Props }>;
      types: Record<string, { properties?: Props }>;
      config: { variables: Props };
    };
    const missing: string[] = [];
    const check = (where: string, props: Props | undefined): void => {
      for (const [k, v] of Object.entries(props ?? {})) if (!v.description) missing.push(`${where}.${k}`);
    };
    for (const [token, r] of Object.entries(s.resources)) {
      check(`${token} input`, r.inputProperties);
      check(`${token} output`, r.properties);
    }
    for (const [token, t] of Object.entries(s.types)) check(token, t.properties);
    check('config', s.config.variables);
    expect(missing).toEqual([]);
  });
});
