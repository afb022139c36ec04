/**
 * FlistBackend: turns a zmachine's `flist` reference into a root filesystem on disk, cached by content and shared
 * read-only between machines (each machine writes to an overlay on top). Mode detection follows ZOS
 * (zos-protocol.md §6.3): `/image.raw` → `vm-image`, `/boot/vmlinuz` → `vm-kernel`, otherwise `container`.
 * Implementations: `linux.ts` (tar extraction, local hub over HTTP, docker-image tarballs), `sim.ts` (state only).
 *
 * References it accepts:
 *   - a local directory: `/srv/rootfs` or `file:///srv/rootfs`
 *   - a `.tar.gz` rootfs archive (the hub upload format): `/srv/alpine.tar.gz`
 *   - the local hub: `http://127.0.0.1:8090/<repo>/<name>.flist` (served as a `.tar.gz`, see local/hub)
 *   - an OCI/docker image tarball (`docker save` output): `/srv/app.tar` or `docker-archive:/srv/app.tar`
 *
 * Lifecycle, by example:
 *
 *     const fl = await flists.resolve('http://127.0.0.1:8090/tf/base.flist');
 *     // fl.key = sha256 of the content; fl.rootfs = read-only cache dir; fl.mode = 'container'
 *     // fl.startup = { entry: '/bin/sh -c "httpd -f"', env: {...} } when the flist has a `.startup.toml`
 *     await flists.resolve('http://127.0.0.1:8090/tf/base.flist'); // same key, no second download/extraction
 *     await flists.prune(new Set([fl.key]));  // drops unused cache entries (never one in use)
 *
 * Errors: an unreachable or malformed reference throws ZosError with the reference in the message.
 * @module
 */

export const FLIST_MODES = ['container', 'vm-image', 'vm-kernel'] as const;
export type FlistMode = (typeof FLIST_MODES)[number];

/** `.startup.toml`'s `[startup.entry]` (ZOS zinit-style): the command and its env. */
export interface StartupEntry {
  entry?: string;
  env: Record<string, string>;
}

export interface ResolvedFlist {
  /** The reference as given. */
  url: string;
  /** sha256 hex of the content (archive bytes, or the tree of a directory). */
  key: string;
  /** Read-only root filesystem directory (shared; never write into it). */
  rootfs: string;
  mode: FlistMode;
  startup?: StartupEntry;
  /** vm-kernel: `<rootfs>/boot/vmlinuz` and `/boot/initrd.img` when present. */
  kernel?: string;
  initrd?: string;
  /** vm-image: `<rootfs>/image.raw`. */
  image?: string;
}

export interface FlistBackend {
  resolve(url: string): Promise<ResolvedFlist>;
  /** Cached keys. */
  list(): Promise<string[]>;
  /** Removes cache entries whose key is not in `keep`. */
  prune(keep: Set<string>): Promise<void>;
  close(): Promise<void>;
}

/** ZOS's flist mode rule on a listing of the root (§6.3). */
export function detectMode(has: (path: string) => boolean): FlistMode {
  if (has('image.raw')) return 'vm-image';
  if (has('boot/vmlinuz')) return 'vm-kernel';
  return 'container';
}

/**
 * Parses the subset of `.startup.toml` ZOS uses: `[startup.entry]` with `name = "core.system"`,
 * `[startup.entry.args]` `name = "<cmd>"`, and `[startup.entry.args.env]` key = "value". Unknown keys are ignored.
 */
export function parseStartupToml(text: string): StartupEntry {
  const out: StartupEntry = { env: {} };
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim();
      continue;
    }
    const kv = /^("?)([^"=]+)\1\s*=\s*(.+)$/.exec(line);
    if (!kv) continue;
    const key = kv[2].trim();
    const value = unquoteToml(kv[3].trim());
    if (section === 'startup.entry.args' && key === 'name') out.entry = value;
    else if (section === 'startup.entry.args.env') out.env[key] = value;
  }
  return out;
}

function unquoteToml(v: string): string {
  if (v.startsWith('"') && v.endsWith('"')) return JSON.parse(v) as string;
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}
