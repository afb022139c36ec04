/**
 * Secrets through the real Pulumi CLI (issue 21): after `up`, the checkpoint (`pulumi stack export`), every file of
 * the file backend, the stack's `Pulumi.<stack>.yaml` and the CLI's output hold no secret in clear: not the
 * mnemonic, not a zdb password (given as a secret config value, or generated), not a key (the network's WireGuard
 * and mycelium keys, the qsfs encryption keys). The secret values are read back with `--show-secrets` (what the
 * engine recorded as secret), then searched for, verbatim, everywhere else.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureE2eGrid } from './shared-grid';
import { newUser, OPTIONS_PROGRAM, pulumiCli, requireCli, type FileUser } from './real-engine';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(1_200_000);
const STACK = 'secrets';
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const GIVEN_PASSWORD = 'given-zdb-Pa55word-e2e';
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
let grid: GridState;
let user: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
});

/** Where a secret value is found, by its key path: passwords, keys, the mnemonic, a wg-quick file. */
const SECRET_PATH = /password|key|mnemonic|secret|accessconfig/i;

/**
 * The secret values of an export made with `--show-secrets`, where a secret reads
 * `{"<sig>": "1b47…", "plaintext": "<the value as JSON>"}`: each string leaf of a secret whose key path names a
 * password, a key or the mnemonic. Other leaves of a secret are secret only by company: a `Qsfs`'s backends hold
 * each zdb's password beside its namespace and endpoint (public outputs of the zdbs), `__inputs` every input.
 */
function secretValues(plain: unknown, out: Set<string>, at = ''): void {
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

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** Where each secret shows in clear: `<place>: <secret's first 4 chars>…`. */
function hits(secrets: string[], places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [place, text] of Object.entries(places)) for (const s of secrets) if (text.includes(s)) found.push(`${place}: ${s.slice(0, 4)}…`);
  return found;
}

const CASES: { name: string; dir: string; config: Record<string, string>; expectKinds: RegExp[] }[] = [
  { name: 'zdb (generated and given passwords)', dir: OPTIONS_PROGRAM, config: { scenario: 'secrets', zdbPassword: GIVEN_PASSWORD }, expectKinds: [/^given-zdb/] },
  { name: 'examples/zdb', dir: path.join(EXAMPLES, 'zdb'), config: {}, expectKinds: [] },
  { name: 'examples/network (WireGuard and mycelium keys)', dir: path.join(EXAMPLES, 'network'), config: {}, expectKinds: [/^\[Interface\]/m] },
  { name: 'examples/qsfs (encryption keys, zdb passwords)', dir: path.join(EXAMPLES, 'qsfs'), config: {}, expectKinds: [] },
];

describe('no secret in clear in the checkpoint, the backend, the stack file or the CLI output', () => {
  it.each(CASES)('$name', async ({ dir, config, expectKinds }) => {
    const { runExample } = await import('../../local/grid/example-runner');
    const cfg = { ...config, 'tfgrid:mnemonic': user.mnemonic };
    const logs: string[] = [];
    const step = async (mode: 'preview' | 'up' | 'refresh') => {
      const r = await runExample({ programDir: dir, grid, mode, stack: STACK, config: cfg });
      logs.push(r.log);
      if (!r.ok) throw new Error(`${mode} ${dir}: ${r.errors.join('\n')}\n${r.log.slice(-2000)}`);
      return r;
    };
    // the stack is destroyed whatever happened; a failed scan is reported before a failed destroy
    let failure: unknown;
    try {
      await step('preview');
      await step('up');
      await step('refresh');
      await step('preview');
      const enc = JSON.parse(await pulumiCli(grid, ['stack', 'export', '--stack', STACK], { programDir: dir })) as unknown;
      const plainText = await pulumiCli(grid, ['stack', 'export', '--stack', STACK, '--show-secrets'], { programDir: dir });
      const found = new Set<string>();
      secretValues(JSON.parse(plainText) as unknown, found);
      console.warn(`${dir}: ${found.size} secret values`);
      const secrets = [...found].filter((s) => s.length >= 8);
      secrets.push(user.mnemonic);
      if (dir === OPTIONS_PROGRAM) expect(secrets).toContain(GIVEN_PASSWORD);
      for (const k of expectKinds) expect(secrets.some((s) => k.test(s))).toBe(true);
      expect(secrets.length).toBeGreaterThan(2);
      // the plain export does hold them: the scan can find what it looks for
      expect(hits(secrets, { plain: plainText }).length).toBeGreaterThan(0);

      const places: Record<string, string> = { 'pulumi stack export': JSON.stringify(enc), 'CLI output': logs.join('\n') };
      for (const f of filesUnder(path.join(grid.dir, 'pulumi-state'))) places[f] = fs.readFileSync(f, 'latin1');
      places['Pulumi.secrets.yaml'] = fs.readFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), 'utf8');
      expect(Object.keys(places).length).toBeGreaterThan(3);
      expect(hits(secrets, places)).toEqual([]);
    } catch (err) {
      failure = err;
    }
    const down = await runExample({ programDir: dir, grid, mode: 'destroy', stack: STACK, config: cfg });
    if (failure) throw failure;
    if (!down.ok) throw new Error(`destroy ${dir}: ${down.errors.join('\n')}`);
  });
});
