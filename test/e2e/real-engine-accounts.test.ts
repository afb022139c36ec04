/**
 * Two accounts in one program through the real Pulumi CLI (issue 13), on the shared local grid: the stack's twin
 * and a second funded twin (its mnemonic a secret config value, `account` on one Zdb of
 * test/e2e/programs/engine-options, scenario `accounts`). Each contract is on the chain under its own twin; the
 * checkpoint keeps the second mnemonic only encrypted (delete needs it) and nothing else holds it in clear (the
 * shared secret scan); moving the namespace to the stack's account is previewed as a replacement; destroy (which
 * takes the second twin from the state) leaves no contract on either twin.
 */
import { exportStack } from '../../local/pulumi/stack-export';
import type { GridState } from '../../local/grid/state';
import { ensureE2eGrid } from './shared-grid';
import { newUser, OPTIONS_PROGRAM, requireCli, run, runOk, twinContracts, type FileUser } from './real-engine';
import { scanSecrets } from './secret-scan';

jest.setTimeout(900_000);
const STACK = 'accounts';
let grid: GridState;
let user: FileUser;
let second: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
  second = await newUser();
});

const contractIds = async (u: FileUser) => (await twinContracts(grid, u.twinId)).map((c) => c.contractId).sort((a, b) => a - b);

describe('two accounts in one program through the real Pulumi CLI', () => {
  it('deploys a Zdb with each on its own twin, keeps the second mnemonic secret, previews an account change as a replacement, destroys both', async () => {
    const config = (stage: number) => ({ scenario: 'accounts', stage: String(stage), mnemonic2: second.mnemonic });
    let failure: unknown;
    try {
      const up = await runOk(grid, user, { stack: STACK, config: config(1) });
      const out = up.outputs.outputs as { mine: [number, number]; theirs: [number, number] };
      expect(out.mine[0]).toBe(user.twinId);
      expect(out.theirs[0]).toBe(second.twinId);
      expect(await contractIds(user)).toEqual([out.mine[1]]);
      expect(await contractIds(second)).toEqual([out.theirs[1]]);

      // The checkpoint holds the second mnemonic (destroy needs it) encrypted only; nothing holds it in clear.
      const shown = await exportStack({ programDir: OPTIONS_PROGRAM, stack: STACK, gridDir: grid.dir, showSecrets: true });
      expect(shown.text).toContain(second.mnemonic);
      expect(await scanSecrets({ grid, programDir: OPTIONS_PROGRAM, stack: STACK, runs: [up], given: [user.mnemonic, second.mnemonic] })).toBeGreaterThanOrEqual(2);

      // Another account is another twin's contract: the preview says replace, because of `account`.
      const moved = await runOk(grid, user, { stack: STACK, mode: 'preview', config: config(2) });
      const steps = moved.events.flatMap((e) => {
        const m = (e as { resourcePreEvent?: { metadata: { op: string; urn: string; diffs?: string[]; keys?: string[] } } }).resourcePreEvent?.metadata;
        return m?.urn.endsWith('::theirs') ? [m] : [];
      });
      expect(steps.map((m) => m.op)).toEqual(expect.arrayContaining(['create-replacement']));
      expect(steps.some((m) => [...(m.keys ?? []), ...(m.diffs ?? [])].includes('account'))).toBe(true);
    } catch (err) {
      failure = err;
    }
    const down = await run(grid, user, { stack: STACK, mode: 'destroy', config: config(2) });
    if (failure) throw failure;
    expect(down.errors).toEqual([]);
    expect(await contractIds(user)).toEqual([]);
    expect(await contractIds(second)).toEqual([]);
  });
});
