/**
 * What the published package's compiled code needs at run time (scripts/package.ts): every `require()` of every
 * emitted `.js`, split into files of the package and npm packages. The package holds the SDK and the provider the
 * serialized shims load; a file that reaches the node runtime, the local grid, the CLI, tests or benches (the
 * layering forbids it, and their dependencies must never reach a user) or a path outside the build is an error.
 * @module
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

/** Top-level folders of the checkout the package must never contain or require. */
export const FORBIDDEN_LAYERS = ['node', 'local', 'cli', 'test', 'bench', 'examples', 'scripts'] as const;

export interface Closure {
  /** npm package names required by the compiled code (sorted). */
  packages: string[];
  /** Emitted files, relative to the dist dir (sorted). */
  files: string[];
}

const builtins = new Set(builtinModules);

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** String-literal `require("…")` calls as tsc emits them (dynamic ones with computed paths are not followed). */
export function requiresOf(js: string): string[] {
  return [...js.matchAll(/\brequire\(\s*(["'])([^"'\n]+)\1\s*\)/g)].map((m) => m[2]);
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const layerOf = (rel: string): string => rel.split(/[\\/]/)[0];

/**
 * The closure of the emitted files under `distDir`. Throws, naming every offending file and require, when a file
 * lives in or requires a forbidden layer, or requires a path that is not an emitted file.
 */
export function computeClosure(distDir: string): Closure {
  const files = walk(distDir)
    .map((f) => path.relative(distDir, f))
    .sort();
  const problems: string[] = [];
  const packages = new Set<string>();
  for (const rel of files) {
    if ((FORBIDDEN_LAYERS as readonly string[]).includes(layerOf(rel))) problems.push(`${rel}: ${layerOf(rel)}/ must not be in the package`);
    if (!rel.endsWith('.js')) continue;
    for (const spec of requiresOf(fs.readFileSync(path.join(distDir, rel), 'utf8'))) {
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      if (!spec.startsWith('.')) {
        packages.add(packageName(spec));
        continue;
      }
      const target = path.relative(distDir, path.resolve(distDir, path.dirname(rel), spec));
      if (target.startsWith('..')) problems.push(`${rel}: requires ${spec}, outside the package`);
      else if ((FORBIDDEN_LAYERS as readonly string[]).includes(layerOf(target))) problems.push(`${rel}: requires ${spec} (${layerOf(target)}/ is above the provider layer)`);
      else if (![`${target}.js`, path.join(target, 'index.js'), target].some((t) => files.includes(t))) problems.push(`${rel}: requires ${spec}, which was not emitted`);
    }
  }
  if (problems.length > 0) throw new Error(`the package's closure is not clean:\n  ${problems.join('\n  ')}`);
  return { packages: [...packages].sort(), files };
}
