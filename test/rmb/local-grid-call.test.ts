/**
 * Issue 4's "done when": `tfgrid rmb call --twin N --cmd zos.system.version` works against the local grid
 * (chain + our relay + a node runtime), with no other flag: URLs and the user key come from the grid's state.
 * The grid uses the sim backend (no root needed; the point here is RMB, not workloads).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../../local/chain';
import { readState } from '../../local/grid/state';
import { runCli } from '../helpers/run-cli';

describe('tfgrid rmb call against the local grid', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-rmb-grid-'));
  const previousDir = process.env.TFGRID_LOCAL_DIR;

  beforeAll(async () => {
    process.env.TFGRID_LOCAL_DIR = dir;
    const up = await runCli(['local', 'up', '--nodes', '1', '--backend', 'sim', '--dir', dir, '--chain-port', String(await freePort()), '--relay-port', String(await freePort())]);
    if (up.code !== 0) throw new Error(`tfgrid local up failed (${up.code}): ${up.err}${up.out}`);
  });

  afterAll(async () => {
    await runCli(['local', 'down', '--dir', dir]);
    if (previousDir === undefined) delete process.env.TFGRID_LOCAL_DIR;
    else process.env.TFGRID_LOCAL_DIR = previousDir;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks the node for its version with no flag but the twin and the command', async () => {
    const nodeTwin = readState(dir)?.nodes[0]?.twinId;
    expect(typeof nodeTwin).toBe('number');
    const r = await runCli(['rmb', 'call', '--twin', String(nodeTwin), '--cmd', 'zos.system.version']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ zos: expect.any(String), zinit: expect.any(String) });
  });

  it("reports the node's own error text for a deployment it does not have", async () => {
    const nodeTwin = readState(dir)?.nodes[0]?.twinId;
    const r = await runCli(['rmb', 'call', '--twin', String(nodeTwin), '--cmd', 'zos.deployment.get', '--data', '{"contract_id": 999}']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`twin ${nodeTwin} replied with an error: deployment not found`);
  });
});
