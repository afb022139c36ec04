/**
 * Pulumi's resource options through the real CLI on the shared local grid (issue 21): protect, ignoreChanges,
 * replaceOnChanges, deleteBeforeReplace, dependsOn, aliases, a ComponentResource parent and --target, on
 * test/e2e/programs/engine-options (zdb namespaces on node 1) moved through three revisions.
 */
import { ensureE2eGrid } from './shared-grid';
import { eventIndex, newUser, preOps, pulumiCli, requireCli, run, runOk, twinContracts, type FileUser } from './real-engine';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(900_000);
const STACK = 'options';
let grid: GridState;
let user: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
});

const stage = (n: number) => ({ scenario: 'options', stage: String(n) });
const opOf = (ops: [string, string][], name: string) => ops.filter(([, n]) => n === name).map(([op]) => op);

interface ExportedRes {
  urn: string;
  type: string;
  parent?: string;
  protect?: boolean;
  outputs?: Record<string, unknown>;
}
async function exported(): Promise<ExportedRes[]> {
  const text = await pulumiCli(grid, ['stack', 'export', '--stack', STACK]);
  return (JSON.parse(text) as { deployment: { resources?: ExportedRes[] } }).deployment.resources ?? [];
}
const named = (rs: ExportedRes[], name: string) => rs.find((r) => r.urn.endsWith(`::${name}`));

describe('resource options through the real Pulumi CLI', () => {
  it('protect, ignoreChanges, replaceOnChanges, deleteBeforeReplace, dependsOn, aliases, a component parent and --target', async () => {
    // revision 1: everything is created; `after` waits for `kept` (dependsOn)
    const first = await runOk(grid, user, { stack: STACK, config: stage(1) });
    const ops1 = preOps(first);
    expect(ops1.every(([op]) => op === 'create')).toBe(true);
    const keptDone = eventIndex(first, (e) => String((e.resOutputsEvent as { metadata?: { urn: string } } | undefined)?.metadata?.urn ?? '').endsWith('::kept'));
    const afterStarts = eventIndex(first, (e) => String((e.resourcePreEvent as { metadata?: { urn: string } } | undefined)?.metadata?.urn ?? '').endsWith('::after'));
    expect(keptDone).toBeGreaterThanOrEqual(0);
    expect(afterStarts).toBeGreaterThan(keptDone);

    let rs = await exported();
    const pair = rs.find((r) => r.type === 'tfgridtest:index:DbPair');
    expect(pair).toBeDefined();
    const child = named(rs, 'pair-primary');
    expect(child?.parent).toBe(pair!.urn);
    expect(child?.urn).toContain('tfgridtest:index:DbPair$pulumi-nodejs:dynamic/tfgrid:Zdb::pair-primary');
    expect(named(rs, 'kept')?.protect).toBe(true);
    const contractsBefore = (await twinContracts(grid, user.twinId)).map((c) => c.contractId);
    expect(contractsBefore).toHaveLength(1); // every namespace of the stack: one deployment on node 1

    // revision 2
    const second = await runOk(grid, user, { stack: STACK, config: stage(2) });
    const ops2 = preOps(second);
    expect(opOf(ops2, 'ign')).toEqual(['same']); // ignoreChanges: the size edit is not applied
    expect(named(await exported(), 'ign')?.outputs?.size).toBe('1GiB');
    // replaceOnChanges does not reach a dynamic resource (programs/engine-options says why): an update;
    // replacementTrigger replaces
    expect(second.steps.find((s) => s.name === 'roc')?.op).toBe('update');
    expect(second.steps.find((s) => s.name === 'trigger')?.op).toBe('replace');
    // deleteBeforeReplace: the old one goes before the new one is created
    const dbr = opOf(ops2, 'dbr');
    expect(dbr).toContain('delete-replaced');
    expect(dbr.indexOf('delete-replaced')).toBeLessThan(dbr.indexOf('create-replacement'));
    // aliases: renamed, not replaced
    expect(second.steps.find((s) => s.name === 'renamed')?.op).toBe('same');
    expect(ops2.some(([op, n]) => n === 'original' && op !== 'same')).toBe(false);
    for (const n of ['kept', 'after', 'pair-primary', 'target-a', 'target-b']) expect(opOf(ops2, n)).toEqual(['same']);

    // protect: destroy fails with the engine's message for the protected one, but the real engine goes on and
    // deletes every other resource: only `kept` is left (and its deployment's contract)
    const refused = await run(grid, user, { stack: STACK, mode: 'destroy', config: stage(2) });
    expect(refused.ok).toBe(false);
    expect(refused.errors.join('\n')).toMatch(/protected/);
    const left = (await exported()).filter((r) => r.type.startsWith('pulumi-nodejs:')).map((r) => r.urn.slice(r.urn.lastIndexOf('::') + 2));
    expect(left).toEqual(['kept']);
    expect(await twinContracts(grid, user.twinId)).toHaveLength(1);
    // up brings the rest back
    const back = await runOk(grid, user, { stack: STACK, config: stage(2) });
    expect(opOf(preOps(back), 'kept')).toEqual(['same']);

    // --target: both target-a and target-b grow in revision 3, only the targeted one is applied
    rs = await exported();
    const targetA = named(rs, 'target-a')!.urn;
    const targeted = await runOk(grid, user, { stack: STACK, config: stage(3), stackOptions: { target: [targetA] } });
    const changed = targeted.steps.filter((s) => s.op !== 'same');
    expect(changed).toEqual([{ op: 'update', type: 'tfgrid:Zdb', name: 'target-a' }]);
    rs = await exported();
    expect(named(rs, 'target-a')?.outputs?.size).toBe('2GiB');
    expect(named(rs, 'target-b')?.outputs?.size).toBe('1GiB');
    expect(named(rs, 'kept')?.protect).toBe(true); // not targeted: its protect flag is not touched either

    // revision 3 in full: target-b follows, protect is lifted; then destroy deletes everything and the contract
    const third = await runOk(grid, user, { stack: STACK, config: stage(3) });
    expect(third.steps.filter((s) => s.op !== 'same')).toEqual([{ op: 'update', type: 'tfgrid:Zdb', name: 'target-b' }]);
    expect(named(await exported(), 'kept')?.protect).toBeFalsy();
    const down = await runOk(grid, user, { stack: STACK, mode: 'destroy', config: stage(3) });
    expect(down.steps.every((s) => s.op === 'delete')).toBe(true);
    expect(await twinContracts(grid, user.twinId)).toEqual([]);
  });
});
