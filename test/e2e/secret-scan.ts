/**
 * The secrets scan every example's `up` goes through (issue 13): each secret value given (the mnemonic, secret
 * config such as a zdb password) or generated (what the engine recorded as secret: passwords, keys, a wg-quick
 * file's private key, an account's mnemonic) must be nowhere in clear: not in the checkpoint (`pulumi stack
 * export`), the file backend, PULUMI_HOME's logs, the stack's file, the runs' output, events and error texts, nor
 * the grid's node, relay, hub, proxy and DNS logs. Secret values are read back with `--show-secrets`, then
 * searched for verbatim (and JSON-escaped) everywhere else. Called right after `up` by `runE2eExample`
 * (test/e2e/shared-grid.ts), so every example the e2e tests deploy is scanned without deploying it again.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import type { StackRunResult } from '../../local/pulumi/run-stack';
import { exportStack } from '../../local/pulumi/stack-export';
import type { GridState } from '../../local/grid/state';

/** Pulumi's secret envelope key in a checkpoint. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** Where a secret value is found inside a secret, by its key path: passwords, keys, the mnemonic, a wg-quick file. */
const SECRET_PATH = /password|key|mnemonic|secret|accessconfig/i;

/** Config keys whose values are secrets the user gives. */
export const SECRET_CONFIG_KEY = /password|mnemonic|secret|encryptionkey|privatekey|token/i;

/** Shorter values could be in a text by chance (a key type, a port); every real secret is longer. */
const MIN_SECRET_LENGTH = 8;

/**
 * The secret values of an export made with `--show-secrets`, where a secret reads
 * `{"<sig>": "1b47…", "plaintext": "<the value as JSON>"}`: each string leaf of a secret whose key path names a
 * password, a key or the mnemonic. Other leaves of a secret are secret only by company: a `Qsfs`'s backends hold
 * each zdb's password beside its namespace and endpoint (public outputs of the zdbs), `__inputs` every input.
 */
export function secretValues(plain: unknown, out: Set<string>, at = ''): void {
  if (Array.isArray(plain)) plain.forEach((x, i) => secretValues(x, out, `${at}[${i}]`));
  else if (plain && typeof plain === 'object') {
    const o = plain as Record<string, unknown>;
    if (o[SECRET_SIG] !== undefined && typeof o.plaintext === 'string') leaves(JSON.parse(o.plaintext) as unknown, out, at);
    else for (const [k, v] of Object.entries(o)) if (k !== '__inputs') secretValues(v, out, `${at}.${k}`);
  }
}

function leaves(v: unknown, out: Set<string>, at: string): void {
  if (typeof v === 'string') {
    if (SECRET_PATH.test(at)) out.add(v);
    // keys inside a text (a wg-quick file's `PrivateKey = …`)
    for (const m of v.matchAll(/PrivateKey\s*=\s*(\S+)/g)) out.add(m[1]);
  } else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, out, `${at}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, out, `${at}.${k}`);
}

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** Where each secret shows in clear (as is or JSON-escaped): `<place>: <secret's first 4 chars>…`. */
export function secretHits(secrets: string[], places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [place, text] of Object.entries(places)) {
    for (const s of secrets) if (text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1))) found.push(`${place}: ${s.slice(0, 4)}…`);
  }
  return found;
}

export interface SecretScan {
  grid: GridState;
  programDir: string;
  stack: string;
  /** The runs of this program so far (their output, events and error texts are scanned). */
  runs: StackRunResult[];
  /** Secret values the test gave (the mnemonic, secret config values). */
  given: string[];
}

/**
 * @pulumi/pulumi's own debug lines of the resource RPCs (`log.debug("RegisterResource RPC finished: …, resp: …")` in
 * runtime/resource.js) print the engine's whole response, secrets decrypted: Pulumi shows them only under
 * `pulumi up --debug`, and they reach the Automation API's event stream as `debug` diagnostics that nothing of ours
 * prints or keeps. Upstream behaviour, not ours: left out of the scan (every other event is scanned).
 */
function isSdkRpcDebug(e: unknown): boolean {
  const d = (e as { diagnosticEvent?: { severity?: string; message?: string } }).diagnosticEvent;
  return d?.severity === 'debug' && /^(RegisterResource|ReadResource|Invoke|Call) RPC /.test(d.message ?? '');
}

/** Every place a secret must not be in clear, as text. */
function placesOf(s: SecretScan, plainExport: string): Record<string, string> {
  const places: Record<string, string> = { 'pulumi stack export': plainExport };
  s.runs.forEach((r, i) => {
    places[`run ${i} output`] = r.log;
    places[`run ${i} errors`] = r.errors.join('\n');
    places[`run ${i} events`] = JSON.stringify(r.events.filter((e) => !isSdkRpcDebug(e)));
  });
  for (const dir of ['logs', 'pulumi-state', path.join('pulumi-home', 'logs')]) for (const f of filesUnder(path.join(s.grid.dir, dir))) places[f] = fs.readFileSync(f, 'latin1');
  const stackFile = path.join(s.programDir, `Pulumi.${s.stack}.yaml`);
  if (fs.existsSync(stackFile)) places[stackFile] = fs.readFileSync(stackFile, 'utf8');
  return places;
}

/**
 * Scans as the module comment says; throws naming where each secret was found in clear. Returns the number of
 * secret values it looked for (the caller may assert the scan had something to find).
 */
export async function scanSecrets(s: SecretScan): Promise<number> {
  const shown = await exportStack({ programDir: s.programDir, stack: s.stack, gridDir: s.grid.dir, showSecrets: true });
  const found = new Set<string>(s.given);
  secretValues(JSON.parse(shown.text) as unknown, found);
  const secrets = [...found].filter((v) => v.length >= MIN_SECRET_LENGTH);
  const plain = await exportStack({ programDir: s.programDir, stack: s.stack, gridDir: s.grid.dir });
  const hits = secretHits(secrets, placesOf(s, plain.text));
  if (hits.length > 0) throw new Error(`${path.basename(s.programDir)}: secrets in clear:\n${hits.join('\n')}`);
  return secrets.length;
}

/** The secret values among a run's config (`tfgrid:mnemonic`, `<project>:zdbPassword`, …). */
export function givenSecrets(config: Record<string, string>): string[] {
  return Object.entries(config)
    .filter(([k]) => SECRET_CONFIG_KEY.test(k))
    .map(([, v]) => v);
}
