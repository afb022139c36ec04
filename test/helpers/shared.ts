/**
 * Paths into `../shared` (beside the repository), read where they lie and never copied into the repo. Nothing
 * there is required: a clone without it passes every test on its own fixtures (test/fixtures/) and the cached
 * chain artefacts; files found here only add optional checks (`describeWithSharedFile`).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';

export const SHARED_DIR = process.env.TFGRID_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

export function sharedFileExists(...parts: string[]): boolean {
  return fs.existsSync(sharedPath(...parts));
}

export function readSharedJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(sharedPath(...parts), 'utf8')) as T;
}

/**
 * An optional extra check on a file of `../shared`: runs `body` when the file is there; otherwise reports one
 * skipped test that names the missing file, so a run without `../shared` shows what it did not check.
 */
export function describeWithSharedFile(parts: string[], name: string, body: (file: string) => void): void {
  const file = sharedPath(...parts);
  if (fs.existsSync(file)) describe(`${name} (optional extra: ${file})`, () => body(file));
  else describe(name, () => it.skip(`optional extra: ${file} is not present`, () => undefined));
}
