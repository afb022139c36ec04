/**
 * A stack's config file, `Pulumi.<stack>.yaml` beside the project's `Pulumi.yaml`, in the Pulumi CLI's own format,
 * so that `tfgrid local deploy -c key=value` and `pulumi config set key value` read and write the same file:
 *
 * ```yaml
 * encryptionsalt: v1:…          # any other top-level field (secretsprovider, encryptedkey, environment) is kept
 * config:
 *   tfgrid:network: local
 *   tfgrid-zdb:size: "2"        # `<project>:<key>`; values are strings, quoted when YAML would read another type
 *   tfgrid-zdb:token:
 *     secure: v1:…              # written only by the CLI's secrets provider: kept as is, never decrypted here
 * ```
 *
 * Keys are fully qualified (`project:key`, `tfgrid:key`); a key set again keeps its place and a new one goes last,
 * as the CLI does (the unit test holds a file written by `pulumi config set` of Pulumi v3.276 for comparison). Secrets are never written by this module: without the CLI's secrets provider they could only be plain text
 * (the grid's mnemonic travels per run instead). Comments and unrelated fields of a hand-edited file survive.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML, { Scalar, isMap, type Document } from 'yaml';
import { InputError } from '../../protocol/common/errors';

/** `Pulumi.<stack>.yaml` in `projectDir`; a fully qualified `org/project/stack` uses its last part, as the CLI does. */
export function stackConfigPath(projectDir: string, stack: string): string {
  const name = stack.split('/').pop() ?? stack;
  return path.join(projectDir, `Pulumi.${name}.yaml`);
}

/** `size` → `<project>:size`; `tfgrid:network` stays as it is (Pulumi's key namespacing). */
export function qualifyConfigKey(project: string, key: string): string {
  return key.includes(':') ? key : `${project}:${key}`;
}

export interface StackConfig {
  /** Plain values by fully qualified key (non-string YAML values as the CLI hands them to programs: JSON text). */
  values: Record<string, string>;
  /** Keys holding `secure:` values (encrypted by the CLI's secrets provider; not readable here). */
  secure: string[];
  /** The file read (it may not exist). */
  file: string;
}

function readDocument(file: string): Document | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${file}: cannot read the stack config file`, { path: file }, { cause: err });
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    throw new InputError(`${file}: not valid YAML: ${doc.errors[0].message}`, { path: file, fix: 'fix the file by hand or delete it' });
  }
  const config = doc.get('config');
  if (config !== undefined && config !== null && !isMap(config)) {
    throw new InputError(`${file}: \`config\` must be a map of \`project:key: value\``, { path: file });
  }
  return doc;
}

/**
 * A string value as the CLI writes it: plain when every YAML reader takes it for that string, double-quoted when a
 * YAML 1.1 reader (go-yaml's heritage: `yes`, `on`, `0x1f`) or a 1.2 one would read another type, a block literal
 * when it has several lines.
 */
function plainScalar(v: string): Scalar {
  const node = new Scalar(v);
  const asIs = (version: '1.1' | '1.2') => {
    try {
      return YAML.parse(v, { version }) === v;
    } catch {
      return false;
    }
  };
  if (v.includes('\n'))
    node.type = Scalar.BLOCK_LITERAL; // `|-` as go-yaml writes a multi-line string
  else if (!asIs('1.1') || !asIs('1.2') || v !== v.trim()) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** Reads the stack's config; a missing file is an empty config. */
export function readStackConfig(projectDir: string, stack: string): StackConfig {
  const file = stackConfigPath(projectDir, stack);
  const doc = readDocument(file);
  const values: Record<string, string> = {};
  const secure: string[] = [];
  const raw: unknown = doc?.toJS()?.config ?? {};
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { secure?: unknown }).secure === 'string') secure.push(key);
    else if (typeof v === 'string') values[key] = v;
    else if (v !== null && v !== undefined) values[key] = JSON.stringify(v);
  }
  return { values, secure, file };
}

/**
 * Sets plain config values (fully qualified keys) in the stack's file, creating it when missing, as
 * `pulumi config set <key> <value>` does for each. Returns the file's path.
 * @example setStackConfig('examples/zdb', 'dev', { 'tfgrid-zdb:size': '2GiB' })  // → examples/zdb/Pulumi.dev.yaml
 */
export function setStackConfig(projectDir: string, stack: string, values: Record<string, string>): string {
  const file = stackConfigPath(projectDir, stack);
  for (const key of Object.keys(values)) {
    if (!/^[^:\s]+:[^:\s]+$/.test(key)) throw new InputError(`config key "${key}": expected <namespace>:<name>`, { path: key });
  }
  const doc = readDocument(file) ?? new YAML.Document({});
  let config = doc.get('config');
  if (!isMap(config)) {
    config = doc.createNode({});
    doc.set('config', config);
  }
  const map = config as YAML.YAMLMap;
  // as the CLI does: a key already there keeps its place, a new one goes last
  for (const [k, v] of Object.entries(values)) map.set(k, plainScalar(v));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, doc.toString({ indent: 2 }));
  fs.renameSync(tmp, file);
  return file;
}
