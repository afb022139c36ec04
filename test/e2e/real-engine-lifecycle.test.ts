/**
 * Through the real Pulumi CLI on the shared local grid (issue 21): retainOnDelete (the workload and its paid
 * contract stay after destroy), adopting that deployment in another stack (`adoptContractId`, what a dynamic
 * provider has instead of `pulumi import`: the next up changes nothing, destroy frees the contract), `refresh`
 * after a contract was cancelled behind the stack's back (drift shown, up restores it), and two resources with
 * one name (the engine refuses the duplicate URN).
 */
import { createChainClient } from '../../protocol/chain';
import { identityFromSecret, cryptoReady } from '../../protocol/common/identity';
import { ensureE2eGrid } from './shared-grid';
import { newUser, pulumiCli, requireCli, run, runOk, twinContracts, type FileUser } from './real-engine';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(900_000);
let grid: GridState;
let user: FileUser;

beforeAll(async () => {
  requireCli();
  grid = await ensureE2eGrid();
  user = await newUser();
});

const active = async () => (await twinContracts(grid, user.twinId)).map((c) => c.contractId).sort((a, b) => a - b);

async function resourcesOf(stack: string): Promise<string[]> {
  const text = await pulumiCli(grid, ['stack', 'export', '--stack', stack]);
  return ((JSON.parse(text) as { deployment: { resources?: { urn: string }[] } }).deployment.resources ?? []).map((r) => r.urn);
}

/** The contract ids the stack's state holds (resources' `contractId` outputs), sorted. */
async function stateContracts(stack: string): Promise<number[]> {
  const text = await pulumiCli(grid, ['stack', 'export', '--stack', stack]);
  const resources = (JSON.parse(text) as { deployment: { resources?: { outputs?: Record<string, unknown> }[] } }).deployment.resources ?? [];
  return resources.flatMap((r) => (typeof r.outputs?.contractId === 'number' ? [r.outputs.contractId] : [])).sort((a, b) => a - b);
}

describe('lifecycle through the real Pulumi CLI', () => {
  it('retainOnDelete keeps the workload and its contract; another stack adopts it (next up: no change) and destroys it', async () => {
    const group = 'retained-e2e';
    const up = await runOk(grid, user, { stack: 'retain', config: { scenario: 'retain', group } });
    const contract = Number((up.outputs.outputs as Record<string, unknown>).contractId);
    expect(await active()).toEqual([contract]);

    const down = await runOk(grid, user, { stack: 'retain', mode: 'destroy', config: { scenario: 'retain', group } });
    expect(down.steps).toEqual([{ op: 'delete', type: 'tfgrid:Zdb', name: 'retained' }]);
    expect(down.log).toMatch(/retain/i);
    // the state forgot it; the grid did not: the contract is still active, and billed
    expect(await resourcesOf('retain')).toEqual([]);
    expect(await active()).toEqual([contract]);

    // the user's clean-up: adopt the deployment in a stack (the same group and workload name), then destroy it
    const adopt = await runOk(grid, user, { stack: 'adopt', config: { scenario: 'adopt', group, contract: String(contract) } });
    expect(adopt.steps).toEqual([{ op: 'create', type: 'tfgrid:Zdb', name: 'retained' }]);
    expect(Number((adopt.outputs.outputs as Record<string, unknown>).contractId)).toBe(contract);
    expect(await active()).toEqual([contract]); // no new contract
    const again = await runOk(grid, user, { stack: 'adopt', config: { scenario: 'adopt', group, contract: String(contract) } });
    expect(again.steps).toEqual([{ op: 'same', type: 'tfgrid:Zdb', name: 'retained' }]);
    await runOk(grid, user, { stack: 'adopt', mode: 'destroy', config: { scenario: 'adopt', group, contract: String(contract) } });
    expect(await active()).toEqual([]);
  });

  it('refresh after the contract was cancelled behind the stack shows the drift; the next up restores the workload', async () => {
    const cfg = { scenario: 'drift', group: 'drift-e2e' };
    const up = await runOk(grid, user, { stack: 'drift', config: cfg });
    const contract = Number((up.outputs.outputs as Record<string, unknown>).contractId);
    await cryptoReady();
    const chain = await createChainClient({ urls: [grid.chain!.url] });
    try {
      await (await chain.withSigner(identityFromSecret(user.mnemonic, 'sr25519'))).cancelContract(contract);
    } finally {
      await chain.close();
    }
    expect(await active()).toEqual([]);

    const refresh = await runOk(grid, user, { stack: 'drift', mode: 'refresh', config: cfg });
    expect(refresh.log).toMatch(/drifting\s+deleted|deleted.*drifting|- .*drifting/);
    expect((await resourcesOf('drift')).some((u) => u.endsWith('::drifting'))).toBe(false);

    const restore = await runOk(grid, user, { stack: 'drift', config: cfg });
    expect(restore.steps).toEqual([{ op: 'create', type: 'tfgrid:Zdb', name: 'drifting' }]);
    const now = Number((restore.outputs.outputs as Record<string, unknown>).contractId);
    expect(now).not.toBe(contract);
    expect(await active()).toEqual([now]);
    await runOk(grid, user, { stack: 'drift', mode: 'destroy', config: cfg });
    expect(await active()).toEqual([]);
  });

  it('two resources with one name: the engine refuses the duplicate URN and leaves nothing its state does not know', async () => {
    try {
      const r = await run(grid, user, { stack: 'duplicate', config: { scenario: 'duplicate' } });
      expect(r.ok).toBe(false);
      const text = r.errors.join('\n');
      expect(text).toMatch(/[Dd]uplicate resource URN/);
      expect(text).toContain('::twin');
      // The engine may already be creating the first `twin` when the second registration arrives: whatever it
      // created must be in the stack's state (so destroy frees it), never a contract billed behind its back.
      expect(await active()).toEqual(await stateContracts('duplicate'));
    } finally {
      await runOk(grid, user, { stack: 'duplicate', mode: 'destroy', config: { scenario: 'small' } });
    }
    expect(await active()).toEqual([]);
  });
});
