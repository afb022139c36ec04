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
import { filesUnder, secretHits as hits, secretValues } from './secret-scan';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(1_200_000);
const STACK = 'secrets';
const GIVEN_PASSWORD = 'given-zdb-Pa55word-e2e';
const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
let grid: GridState;
let user: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
});

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
