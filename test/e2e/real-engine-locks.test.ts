/**
 * Stack locks of the real Pulumi CLI's file backend (issue 21), on the shared local grid: a second `pulumi up` of
 * one stack while the first is creating is refused with Pulumi's own lock message, and the first finishes; two
 * stacks of one twin run at once and both succeed (their own deployments and contracts).
 */
import { ensureE2eGrid } from './shared-grid';
import { newUser, OPTIONS_PROGRAM, requireCli, runOk, twinContracts, type FileUser } from './real-engine';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(900_000);
let grid: GridState;
let user: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
});

const cfg = { scenario: 'small' };
/** Six namespaces created one after the other: the first run holds the lock long enough for the second to start. */
const LONG = { scenario: 'chain', count: '6' };

describe('stack locks through the real Pulumi CLI', () => {
  it('a second up of one stack while the first runs is refused by the lock; the first finishes', async () => {
    const { runExample } = await import('../../local/grid/example-runner');
    let second: Promise<Awaited<ReturnType<typeof runExample>>> | undefined;
    let text = '';
    const config = { ...LONG, 'tfgrid:mnemonic': user.mnemonic };
    let secondDone = false;
    try {
      const first = await runExample({
        programDir: OPTIONS_PROGRAM,
        grid,
        mode: 'up',
        stack: 'locked',
        config,
        onOutput: (t) => {
          text += t;
          // the first holds the lock once it is creating: start the second then
          if (!second && /db0\s+creating/.test(text)) {
            second = runExample({ programDir: OPTIONS_PROGRAM, grid, mode: 'up', stack: 'locked', config });
            void second.then(() => (secondDone = true));
          }
        },
      });
      expect(first.ok).toBe(true);
      expect(second).toBeDefined();
      const refused = await second!;
      expect(refused.ok).toBe(false);
      const said = refused.errors.join('\n');
      expect(said).toMatch(/the stack is currently locked by 1 lock\(s\)/);
      expect(said).toMatch(/pulumi cancel/);
      expect((await twinContracts(grid, user.twinId)).map((c) => c.contractId)).toEqual([Number((first.outputs.outputs as Record<string, unknown>).last)]);
    } finally {
      if (second && !secondDone) await second;
      await runOk(grid, user, { stack: 'locked', mode: 'destroy', config: LONG });
    }
  });

  it('two stacks of one twin at once both succeed', async () => {
    const [a, b] = await Promise.all([runOk(grid, user, { stack: 'twin-a', config: cfg }), runOk(grid, user, { stack: 'twin-b', config: cfg })]);
    const ids = [a, b].map((r) => Number((r.outputs.outputs as Record<string, unknown>).contractId));
    expect(ids[0]).not.toBe(ids[1]);
    expect((await twinContracts(grid, user.twinId)).map((c) => c.contractId).sort()).toEqual([...ids].sort());
    await Promise.all([runOk(grid, user, { stack: 'twin-a', mode: 'destroy', config: cfg }), runOk(grid, user, { stack: 'twin-b', mode: 'destroy', config: cfg })]);
    expect(await twinContracts(grid, user.twinId)).toEqual([]);
  });
});
