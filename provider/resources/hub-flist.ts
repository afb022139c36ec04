/**
 * HubFlist: a local docker image turned into a flist on a hub (DESIGN.md §4 Flists, zos-protocol.md §6.3
 * `.startup.toml`), the resource behind examples/docker-app. The hub's docker-image→flist conversion
 * (`PUT /<repo>/<name>.flist?from=docker`, local/hub/hub.ts) does the work; this file gives it a lifecycle:
 *
 *   check   resolves the image reference to its image id with `docker image inspect` (the digest the diff uses)
 *   create  `docker save <image id>` → upload with `?from=docker` → read the flist's md5
 *   diff    a new image id, hub, repo or name replaces the flist (create-before-delete: names differ, see below)
 *   read    HEAD/md5 of the flist: `state` is `ok`, or `gone` when the hub lost it
 *   delete  `DELETE /<repo>/<name>.flist` (a flist already gone is not an error)
 *
 * The flist file is `<baseName>-<first 12 hex of the image id>.flist`, so a rebuilt image gets a new URL and every
 * ZMachine using it is replaced (ZOS cannot update a zmachine's flist in place), and the old flist is deleted
 * only after its replacement exists. `image` may be @pulumi/docker 3.x's `Image.imageName`
 * (`<repo>:[<tag>-]<64 hex image id>`, a tag that only exists when pushed): the id in it is used directly.
 *
 * Pulumi state written here: add fields, never rename.
 * @module
 */
import { execFile } from 'child_process';
import { createReadStream, promises as fs } from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { InputError, TfgridError, errorText } from '../../protocol/common/errors';
import { previousInputs, withCheckedInputs } from '../checked-inputs';
import { stableJson } from '../deployment-coordinator';
import { UNKNOWN, validateInputs, type CheckFailure } from '../inputs';
import type { DiffResult } from '../workload-resource';

/** The hub's path segment rule (local/hub/hub.ts `SEGMENT`, hub.grid.tf user and flist names). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const segment = () =>
  z
    .string()
    .regex(SEGMENT, `must match ${SEGMENT.source}`)
    .refine((s) => !s.includes('..'), 'cannot contain ".."');

export const hubFlistInputsSchema = z.object({
  /** A docker image reference on the docker engine: name[:tag], an image id, or @pulumi/docker's Image.imageName. */
  image: z.string().min(1, 'image cannot be empty').describe('Local docker image: name[:tag], image id, or a @pulumi/docker Image.imageName.'),
  /** The hub's base URL, e.g. `http://127.0.0.1:8090`. */
  hubUrl: z
    .string()
    .url('hubUrl must be a URL such as http://127.0.0.1:8090')
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'hubUrl must be http or https')
    .describe('Flist hub base URL, e.g. http://127.0.0.1:8090.'),
  /** The hub repository (a user name on hub.grid.tf). */
  repo: segment().default('pulumi').describe('Hub repository (user) the flist is stored under.'),
  /** Flist base name; the file is `<baseName>-<12 hex of the image id>.flist`. */
  baseName: segment().describe('Flist base name; the file is <baseName>-<12 hex of the image id>.flist.'),
  /** The docker engine to read the image from (DOCKER_HOST syntax); default: the environment's DOCKER_HOST. */
  dockerHost: z.string().optional().describe('Docker engine (DOCKER_HOST syntax); default: the environment.'),
  /** Resolved by check from `image` (sha256:<hex>); the digest the diff compares. */
  imageId: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional()
    .describe('Image id resolved by the provider (sha256:<hex>).'),
});
export type HubFlistInputs = z.infer<typeof hubFlistInputsSchema>;

export const hubFlistOutputDocs = {
  url: { type: 'string', description: 'The flist URL machines use.' },
  flistName: { type: 'string', description: 'The flist name on the hub, <baseName>-<12 hex> (the file adds .flist).' },
  md5: { type: 'string', description: "The hub's md5 of the flist archive." },
  state: { type: 'string', description: 'ok, or gone when the hub no longer has the flist.' },
} as const;

/** Keys whose change replaces the flist (each changes the flist's content or location). */
const REPLACE_KEYS = ['imageId', 'hubUrl', 'repo', 'baseName'] as const;

/** What the resource needs from a docker engine (injected in tests). */
export interface DockerCli {
  /** `sha256:<hex>` of a local image; throws when the engine does not have it. */
  imageId(ref: string): Promise<string>;
  /** Writes `docker save` of the image to `file`. */
  save(ref: string, file: string): Promise<void>;
}

export interface HubFlistDeps {
  docker: (host: string | undefined) => DockerCli;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 16 << 20, timeout: 600_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new TfgridError(`${cmd} ${args.join(' ')}: ${String(stderr || err.message).trim()}`, { command: cmd }, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** The docker CLI on PATH, talking to `host` (or the environment's engine). */
export function dockerCli(host: string | undefined): DockerCli {
  const env = host ? { ...process.env, DOCKER_HOST: host } : process.env;
  return {
    async imageId(ref) {
      return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], env)).trim();
    },
    async save(ref, file) {
      await run('docker', ['save', '-o', file, ref], env);
    },
  };
}

export const defaultHubFlistDeps: HubFlistDeps = { docker: dockerCli };

/** @pulumi/docker 3.x names a built image `<repo>:[<tag>-]<image id hex>`; that tag exists only when pushed. */
const PULUMI_DOCKER_NAME = /^[^@\s]+:(?:[A-Za-z0-9_.-]+-)?([0-9a-f]{64})$/;

/** The reference to ask docker for: the image id inside a @pulumi/docker name, else `image` as given. */
export function dockerRef(image: string): string {
  const m = PULUMI_DOCKER_NAME.exec(image);
  return m ? `sha256:${m[1]}` : image;
}

/** `<baseName>-<12 hex>` of an image id `sha256:<hex>`. */
export function flistFileName(baseName: string, imageId: string): string {
  return `${baseName}-${imageId.replace(/^sha256:/, '').slice(0, 12)}`;
}

export function flistUrl(i: Pick<HubFlistInputs, 'hubUrl' | 'repo'>, flistName: string): string {
  return `${i.hubUrl.replace(/\/+$/, '')}/${encodeURIComponent(i.repo)}/${encodeURIComponent(flistName)}.flist`;
}

function what(i: { baseName?: unknown }): string {
  return `HubFlist "${typeof i.baseName === 'string' ? i.baseName : '?'}"`;
}

/** Validates the inputs and resolves `imageId` from the docker engine (skipped while `image` is unknown). */
export async function checkHubFlist(news: Record<string, unknown>, deps: HubFlistDeps = defaultHubFlistDeps): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
  const { __provider: provider, imageId: _stale, ...raw } = news;
  void _stale;
  const { value, failures } = validateInputs(hubFlistInputsSchema, raw, 'HubFlist', typeof raw.baseName === 'string' ? raw.baseName : '?');
  if (!value) return { inputs: news, failures };
  const out: Record<string, unknown> = { ...value };
  if (value.image !== UNKNOWN && value.dockerHost !== UNKNOWN) {
    try {
      out.imageId = await deps.docker(value.dockerHost).imageId(dockerRef(value.image));
    } catch (err) {
      return {
        inputs: news,
        failures: [
          { property: 'image', reason: `${what(value)}: docker has no image "${value.image}" (${errorText(err)}); build it first, or point dockerHost/DOCKER_HOST at the engine that has it` },
        ],
      };
    }
  }
  if (provider !== undefined) out.__provider = provider;
  return { inputs: out, failures: [] };
}

/** Compares with the checked inputs recorded at create/update (`__inputs`, provider/checked-inputs.ts), never outputs. */
export function diffHubFlist(olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const prev = previousInputs(olds, Object.keys(hubFlistInputsSchema.shape)).inputs;
  const replaces: string[] = REPLACE_KEYS.filter((k) => stableJson(prev[k] ?? null) !== stableJson(news[k] ?? null));
  const changes = replaces.length > 0 || ['image', 'dockerHost'].some((k) => stableJson(prev[k] ?? null) !== stableJson(news[k] ?? null));
  return { changes, replaces, deleteBeforeReplace: false };
}

interface HubReply {
  status: number;
  body: string;
}

/** One HTTP request to the hub; `upload` streams a file as the body. */
function hubRequest(method: string, url: string, upload?: { file: string; size: number }): Promise<HubReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const headers: http.OutgoingHttpHeaders = upload ? { 'content-type': 'application/x-tar', 'content-length': upload.size } : {};
    const req = mod.request(u, { method, headers, timeout: 600_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.origin} in 600s`)));
    req.on('error', reject);
    if (upload) createReadStream(upload.file).on('error', reject).pipe(req);
    else req.end();
  });
}

async function hub(method: string, url: string, ctx: string, upload?: { file: string; size: number }): Promise<HubReply> {
  try {
    return await hubRequest(method, url, upload);
  } catch (err) {
    throw new TfgridError(`${ctx}: hub ${new URL(url).origin} unreachable: ${errorText(err)}`, { fix: 'check hubUrl; on the local grid run `tfgrid local status`' }, { cause: err });
  }
}

function parseInputs(raw: Record<string, unknown>): HubFlistInputs & { imageId: string } {
  const { __provider: _p, ...rest } = raw;
  void _p;
  const i = hubFlistInputsSchema.parse(rest);
  if (!i.imageId) throw new InputError(`${what(i)}: the image id was not resolved (check did not run with a known image)`);
  return { ...i, imageId: i.imageId };
}

/** Saves the image, uploads it for conversion and returns the flist's URL and md5. */
export async function createHubFlist(raw: Record<string, unknown>, deps: HubFlistDeps = defaultHubFlistDeps): Promise<{ id: string; outs: Record<string, unknown> }> {
  const i = parseInputs(raw);
  const flistName = flistFileName(i.baseName, i.imageId);
  const url = flistUrl(i, flistName);
  const ctx = `create ${what(i)} (${url})`;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-hubflist-'));
  try {
    const tar = path.join(work, 'image.tar');
    try {
      await deps.docker(i.dockerHost).save(i.imageId, tar);
    } catch (err) {
      throw new InputError(`${ctx}: docker save ${i.imageId} failed: ${errorText(err)}`, { path: 'image', fix: 'build the image on the engine dockerHost/DOCKER_HOST points at' }, { cause: err });
    }
    const size = (await fs.stat(tar)).size;
    const put = await hub('PUT', `${url}?from=docker`, ctx, { file: tar, size });
    if (put.status !== 201) throw new TfgridError(`${ctx}: the hub refused the image (HTTP ${put.status}): ${put.body.trim()}`);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  const md5 = await hub('GET', `${url}.md5`, ctx);
  if (md5.status !== 200) throw new TfgridError(`${ctx}: the hub has no md5 for the new flist (HTTP ${md5.status}): ${md5.body.trim()}`);
  const { __provider: _p, ...inputs } = raw;
  void _p;
  return { id: url, outs: withCheckedInputs({ ...inputs, url, flistName, md5: md5.body.trim(), state: 'ok' }, inputs) };
}

/** Same flist, other inputs (a new reference to the same image id, another dockerHost): only state changes. */
export function updateHubFlist(olds: Record<string, unknown>, news: Record<string, unknown>): { outs: Record<string, unknown> } {
  const { __provider: _p, ...inputs } = news;
  void _p;
  return { outs: withCheckedInputs({ ...olds, ...inputs, url: olds.url, flistName: olds.flistName, md5: olds.md5, state: olds.state }, inputs) };
}

/** Refresh: the flist's md5, or `state: gone` when the hub no longer has it. */
export async function readHubFlist(id: string, props: Record<string, unknown>): Promise<{ id: string; props: Record<string, unknown> }> {
  const url = typeof props.url === 'string' ? props.url : id;
  const r = await hub('GET', `${url}.md5`, `read ${what(props)} (${url})`);
  if (r.status === 404) return { id, props: { ...props, state: 'gone' } };
  if (r.status !== 200) throw new TfgridError(`read ${what(props)} (${url}): HTTP ${r.status}: ${r.body.trim()}`);
  return { id, props: { ...props, md5: r.body.trim(), state: 'ok' } };
}

export async function deleteHubFlist(props: Record<string, unknown>): Promise<void> {
  const url = typeof props.url === 'string' ? props.url : undefined;
  if (!url) return; // never created
  const r = await hub('DELETE', url, `delete ${what(props)} (${url})`);
  if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw new TfgridError(`delete ${what(props)} (${url}): the hub answered HTTP ${r.status}: ${r.body.trim()}`);
}
