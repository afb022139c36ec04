/**
 * Paths into `../shared` (beside the repository): fact-sheet vectors and chain specs are read where they lie,
 * never copied into the repo.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';

export const SHARED_DIR = process.env.TFGRID_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

export function readSharedJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(sharedPath(...parts), 'utf8')) as T;
}
