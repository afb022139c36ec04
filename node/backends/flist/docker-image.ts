/**
 * OCI/docker image tarball (`docker save`, docker-archive and OCI-layout manifests) → flist root filesystem, the
 * hub's docker-image→flist idea (DESIGN.md §4 Flists, zos-protocol.md §6.3 `.startup.toml`). Layers are applied in
 * order with whiteouts (`.wh.<name>` deletes, `.wh..wh..opq` empties a directory); the image config's
 * entrypoint/cmd/env/workdir become `.startup.toml`, so the container starts as docker would start it.
 * @module
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { ZosError } from '../../../protocol/common/errors';
import { runCommand } from '../machine/host-command';

const manifestSchema = z.array(z.object({ Config: z.string(), Layers: z.array(z.string()) })).min(1);
const imageConfigSchema = z.object({
  config: z
    .object({
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Env: z.array(z.string()).nullish(),
      WorkingDir: z.string().nullish(),
    })
    .nullish(),
});

/** Quotes one word for a POSIX shell command line. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Splits a command line into words (single/double quotes, backslash escapes), as ZOS's container init does. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q === "'") {
      if (c === "'") q = null;
      else cur += c;
    } else if (q === '"') {
      if (c === '"') q = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (q) throw new ZosError(`unterminated quote in command line: ${line}`);
  if (has || cur) out.push(cur);
  return out;
}

/** True when `file` is a tar holding a docker/OCI `manifest.json`. */
export async function isDockerArchive(file: string): Promise<boolean> {
  try {
    const { stdout } = await runCommand('tar', ['-tf', file]);
    return stdout.split('\n').some((l) => l === 'manifest.json' || l === './manifest.json');
  } catch {
    return false;
  }
}

/** Extracts the image in `tarFile` into `dest` (must exist, empty) and writes `dest/.startup.toml`. */
export async function unpackDockerArchive(tarFile: string, dest: string): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-docker-'));
  try {
    await runCommand('tar', ['-xf', tarFile, '-C', work, 'manifest.json']);
    const manifest = manifestSchema.parse(JSON.parse(await fs.readFile(path.join(work, 'manifest.json'), 'utf8')));
    const img = manifest[0];
    await runCommand('tar', ['-xf', tarFile, '-C', work, img.Config, ...img.Layers]);
    for (const layer of img.Layers) await applyLayer(path.join(work, layer), dest);
    const cfg = imageConfigSchema.parse(JSON.parse(await fs.readFile(path.join(work, img.Config), 'utf8'))).config ?? {};
    const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
    const env: Record<string, string> = {};
    for (const kv of cfg.Env ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    let entry = argv.map(shellQuote).join(' ');
    if (cfg.WorkingDir && entry) entry = `/bin/sh -c ${shellQuote(`cd ${shellQuote(cfg.WorkingDir)} && exec ${entry}`)}`;
    await fs.writeFile(path.join(dest, '.startup.toml'), startupToml(entry, env));
  } catch (err) {
    if (err instanceof ZosError) throw err;
    throw new ZosError(`failed to convert docker image ${tarFile}: ${(err as Error).message}`, {}, { cause: err });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** A `.startup.toml` in the zinit-style shape ZOS reads (§6.3). */
export function startupToml(entry: string, env: Record<string, string>): string {
  const lines = ['[startup]', '', '[startup.entry]', 'name = "core.system"', '', '[startup.entry.args]', `name = ${JSON.stringify(entry)}`, ''];
  const keys = Object.keys(env).sort();
  if (keys.length) {
    lines.push('[startup.entry.args.env]');
    for (const k of keys) lines.push(`${JSON.stringify(k)} = ${JSON.stringify(env[k])}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** One layer (tar, maybe gzipped): whiteouts first, then the files. */
async function applyLayer(layer: string, dest: string): Promise<void> {
  const { stdout } = await runCommand('tar', ['-tf', layer]);
  for (const raw of stdout.split('\n')) {
    const entry = raw.replace(/^\.\//, '');
    const base = path.posix.basename(entry);
    if (!base.startsWith('.wh.')) continue;
    const parent = path.join(dest, path.posix.dirname(entry));
    if (!isInside(dest, parent)) continue;
    if (base === '.wh..wh..opq') {
      for (const child of await fs.readdir(parent).catch(() => [] as string[])) await fs.rm(path.join(parent, child), { recursive: true, force: true });
    } else {
      const victim = path.join(parent, base.slice(4));
      if (isInside(dest, victim)) await fs.rm(victim, { recursive: true, force: true });
    }
  }
  await runCommand('tar', ['-xf', layer, '-C', dest, '--numeric-owner', '--wildcards', '--exclude=.wh.*', '--exclude=*/.wh.*']);
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
