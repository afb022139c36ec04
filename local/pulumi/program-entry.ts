/**
 * The file a Pulumi Node.js project runs, found as Pulumi's language host finds it: `main` in Pulumi.yaml (a file,
 * or a directory holding the entry), else package.json's `main`, else `index.ts` / `index.js`.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';

const projectSchema = z.object({ main: z.string().optional() }).passthrough();
const packageSchema = z.object({ main: z.string().optional() }).passthrough();

function readMain(file: string, parse: (text: string) => unknown, schema: typeof projectSchema): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const r = schema.safeParse(parse(fs.readFileSync(file, 'utf8')));
  return r.success ? r.data.main : undefined;
}

function inDir(dir: string): string | undefined {
  const pkgMain = readMain(path.join(dir, 'package.json'), JSON.parse, packageSchema);
  const candidates = [...(pkgMain ? [path.join(dir, pkgMain)] : []), path.join(dir, 'index.ts'), path.join(dir, 'index.js')];
  return candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

/** The absolute path of the project's entry module; throws when there is none. */
export function programEntry(projectDir: string): string {
  const main = readMain(path.join(projectDir, 'Pulumi.yaml'), (t) => YAML.parse(t), projectSchema);
  const base = main ? path.resolve(projectDir, main) : projectDir;
  const found = fs.existsSync(base) && fs.statSync(base).isFile() ? base : inDir(base);
  if (!found) {
    throw new InputError(`${projectDir}: no program to run (Pulumi.yaml main, package.json main, index.ts or index.js)`, { path: projectDir });
  }
  return found;
}
