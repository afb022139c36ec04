/**
 * docs/resources.md from schema.json: one section per resource (inputs, outputs), the nested types, and the
 * `tfgrid:*` config. Pure (schema in, markdown out); `scripts/gen-docs.ts` writes it, a test checks it is fresh.
 * @module
 */

interface Prop {
  type?: string;
  items?: Prop;
  additionalProperties?: Prop;
  $ref?: string;
  oneOf?: Prop[];
  description?: string;
  default?: unknown;
  secret?: boolean;
}
interface Resource {
  description?: string;
  properties: Record<string, Prop>;
  inputProperties: Record<string, Prop>;
  requiredInputs?: string[];
}
export interface PackageSchema {
  resources: Record<string, Resource>;
  types: Record<string, { properties?: Record<string, Prop>; required?: string[] }>;
  config: { variables: Record<string, Prop & { defaultInfo?: { environment?: string[] } }> };
}

const short = (token: string): string => token.split(':').pop() ?? token;
const anchor = (name: string): string => name.toLowerCase();

function typeText(p: Prop): string {
  if (p.$ref) return p.$ref.startsWith('#/types/') || p.$ref.startsWith('#/resources/') ? `[${short(p.$ref)}](#${anchor(short(p.$ref))})` : 'any';
  if (p.oneOf) return p.oneOf.map(typeText).join(' \\| ');
  if (p.type === 'array') return `${p.items ? typeText(p.items) : 'any'}[]`;
  if (p.type === 'object' && p.additionalProperties) return `map of ${typeText(p.additionalProperties)}`;
  return p.type ?? 'any';
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(props: Record<string, Prop>, required: string[] | undefined, withRequired: boolean): string[] {
  const rows = [withRequired ? '| name | type | required | default | description |' : '| name | type | description |'];
  rows.push(withRequired ? '|---|---|---|---|---|' : '|---|---|---|');
  for (const [k, p] of Object.entries(props)) {
    const desc = cell(`${p.description ?? ''}${p.secret ? ' (secret)' : ''}`);
    const dflt = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    rows.push(withRequired ? `| \`${k}\` | ${typeText(p)} | ${required?.includes(k) ? 'yes' : ''} | ${dflt} | ${desc} |` : `| \`${k}\` | ${typeText(p)} | ${desc} |`);
  }
  return rows;
}

export function renderResourcesDoc(schema: PackageSchema): string {
  const out = [
    '# Resource reference',
    '',
    '<!-- generated from schema.json by `make docs` (scripts/gen-docs.ts); do not edit -->',
    '',
    'Every resource the `pulumi-tfgrid` package exports (`import * as tfgrid from "pulumi-tfgrid"`), with its inputs',
    'and outputs as schema.json describes them. Schema token `tfgrid:index:<Type>`; at run time Pulumi records the',
    "type `pulumi-nodejs:dynamic/tfgrid:<Type>` (the SDK's classes are dynamic resources).",
    '',
  ];
  for (const [token, r] of Object.entries(schema.resources).sort(([a], [b]) => a.localeCompare(b))) {
    const name = short(token);
    out.push(`## ${name}`, '', r.description ?? '', '', '### Inputs', '', ...table(r.inputProperties, r.requiredInputs, true), '');
    const outputs = Object.fromEntries(Object.entries(r.properties).filter(([k]) => !(k in r.inputProperties)));
    out.push('### Outputs', '', 'Every input is an output too; besides them:', '', ...table(outputs, undefined, false), '');
  }
  out.push('## Nested types', '');
  for (const [token, t] of Object.entries(schema.types).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`### ${short(token)}`, '', ...table(t.properties ?? {}, t.required, true), '');
  }
  out.push('## Config', '', 'Stack config (`pulumi config set tfgrid:<key>`), else the environment variable.', '');
  out.push('| key | environment | type | default | description |', '|---|---|---|---|---|');
  for (const [k, v] of Object.entries(schema.config.variables)) {
    const env = v.defaultInfo?.environment?.join(', ') ?? '';
    const dflt = v.default === undefined ? '' : `\`${String(v.default)}\``;
    out.push(`| \`tfgrid:${k}\` | \`${env}\` | ${typeText(v)} | ${dflt} | ${cell(`${v.description ?? ''}${v.secret ? ' (secret)' : ''}`)} |`);
  }
  return `${out.join('\n')}\n`;
}
