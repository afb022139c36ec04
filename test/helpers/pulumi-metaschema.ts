/**
 * Pulumi's package metaschema (`pkg/codegen/schema/pulumi.json`), read from the Pulumi Go module that
 * `make pulumi` downloads (the version pinned in tools/pulumi/go.mod), else from `../shared` when present.
 * @module
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sharedPath } from './shared';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULE = 'github.com/pulumi/pulumi/pkg/v3';

/** The pinned Pulumi module version from tools/pulumi/go.mod. */
export function pinnedPulumiVersion(): string {
  const gomod = fs.readFileSync(path.join(ROOT, 'tools', 'pulumi', 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*(?:require\\s+)?${MODULE.replace(/\./g, '\\.')}\\s+(v\\S+)`, 'm').exec(gomod);
  if (!m) throw new Error(`tools/pulumi/go.mod pins no ${MODULE}`);
  return m[1];
}

/** The Go module cache, as `go env GOMODCACHE` gives it (without go: $GOMODCACHE, $GOPATH/pkg/mod, ~/go/pkg/mod). */
function goModCache(): string {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  const r = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'pkg', 'mod');
}

/** Go's module cache escapes each upper-case letter as `!` and its lower case. */
const escapeModulePath = (p: string): string => p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

/** Path of the metaschema file; throws naming both places and the fix when neither has it. */
export function pulumiMetaschemaPath(): string {
  const version = pinnedPulumiVersion();
  const fromModule = path.join(goModCache(), `${escapeModulePath(MODULE)}@${version}`, 'codegen', 'schema', 'pulumi.json');
  const fromShared = sharedPath('pulumi-package-metaschema.json');
  for (const p of [fromModule, fromShared]) if (fs.existsSync(p)) return p;
  throw new Error(
    `Pulumi's package metaschema is in neither ${fromModule} nor ${fromShared}; ` +
      `fix: run \`make pulumi\` (or \`cd tools/pulumi && go mod download ${MODULE}\`) to fetch the pinned Pulumi module ${version}`,
  );
}

export function readPulumiMetaschema(): object {
  return JSON.parse(fs.readFileSync(pulumiMetaschemaPath(), 'utf8')) as object;
}
