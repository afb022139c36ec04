/**
 * examples/name-proxy when its name contract is cancelled outside Pulumi (issue 9; zos-protocol.md §1.5
 * gateway-name-proxy, §6.5; provider/resources/name-proxy.ts), on the shared e2e grid through the Pulumi CLI:
 * the page is served through the proxy; the user cancels the name contract with the chain client (as from the
 * dashboard); the gateway node notices (local grid nodes re-check name contracts every
 * `LOCAL_NAME_CONTRACT_CHECK_SECONDS`, ZOS hourly), stops serving the name and reports the workload `error` with the
 * §6.5 text, which `refresh` brings into the stack; `preview` then plans a replacement of the NameProxy, `up`
 * replaces it, reserving the name again (a new name contract of the user's twin) and the page is served again;
 * `destroy` succeeds and frees the name.
 * Fetching pages needs a laptop namespace (linux grids); on the sim backend only the chain and the plans are checked.
 */
import * as path from 'path';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { identityFromSecret } from '../../protocol/common/identity';
import { addGridUser } from '../../local/grid/grid';
import { runExample, type ExampleMode } from '../../local/grid/example-runner';
import { GATEWAY_ERRORS } from '../../node/backends/gateway/gateway';
import { exportStack } from '../../local/pulumi/stack-export';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir, ensureE2eGrid, fetchFromLaptop } from './shared-grid';

jest.setTimeout(300_000);
const SUBDOMAIN = 'e2enc';
const FQDN = `${SUBDOMAIN}.node1.tfgrid.test`;
const LAPTOP_SLOT = 12;
const PROGRAM = path.join(__dirname, '..', '..', 'examples', 'name-proxy');
const STACK = 'e2e-name-contract';
const PAGE = 'hello from the tfgrid base flist';

let grid: GridState;
let mnemonic: string;
let twinId: number;
let chain: ChainClient;
let userChain: ChainClient;

/** Runs the example as this file's own user, on its own stack (examples-stacks runs the same project as `e2e`). */
async function run(mode: ExampleMode) {
  const r = await runExample({
    programDir: PROGRAM,
    grid,
    mode,
    stack: STACK,
    // node 1: FQDN names its domain (the example would otherwise pick a gateway node through the grid proxy).
    config: { subdomain: SUBDOMAIN, node: '1', 'tfgrid:mnemonic': mnemonic },
  });
  if (!r.ok) throw new Error(`${mode} examples/name-proxy failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
  return r;
}

const page = async () => fetchFromLaptop(grid, `http://${FQDN}/`, grid.nodes[0].address.split('/')[0], LAPTOP_SLOT);

/** Polls until the proxy no longer serves the page (the node dropped the route); returns the last failure. */
async function pageRefused(timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await page();
    } catch (err) {
      return (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`the gateway still serves ${FQDN} ${timeoutMs} ms after its name contract was cancelled`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The NameProxy's outputs in the stack's state file (what `refresh` wrote), from `pulumi stack export`. */
async function gatewayInState(): Promise<Record<string, unknown>> {
  const st = await exportStack({ programDir: PROGRAM, stack: STACK, gridDir: grid.dir });
  const gw = st.resources.find((r) => r.name === 'gw');
  if (!gw) throw new Error(`no NameProxy gw in the stack state (have ${st.resources.map((r) => r.name).join(', ')})`);
  return gw.outputs as Record<string, unknown>;
}

beforeAll(async () => {
  grid = await ensureE2eGrid();
  const user = await addGridUser(e2eGridDir());
  mnemonic = user.mnemonic;
  twinId = user.twinId;
  if (!grid.chain) throw new Error('the e2e grid has no chain');
  chain = await createChainClient({ urls: [grid.chain.url] });
  userChain = await chain.withSigner(identityFromSecret(mnemonic, 'sr25519'));
});

afterAll(async () => {
  await chain?.close();
});

describe('examples/name-proxy: a name contract cancelled outside Pulumi', () => {
  it('stops being served, is reported by refresh, re-reserved by up (served again), and destroy frees the name', async () => {
    const first = await run('up');
    expect(first.outputs.fqdn).toBe(FQDN);
    const firstId = Number(first.outputs.nameContractId);
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBe(firstId);
    if (grid.backend === 'linux') expect(await page()).toContain(PAGE);

    // the user cancels the name contract from the dashboard
    await userChain.cancelContract(firstId);
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBeUndefined();

    // the gateway node re-checks the name contract and refuses the name
    if (grid.backend === 'linux') expect(await pageRefused()).toMatch(/curl|exit|40\d|50\d/);
    let gw: Record<string, unknown> = {};
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 1000))) {
      await run('refresh');
      gw = await gatewayInState();
      if (gw.state === 'error') break;
    }
    expect({ state: gw.state, message: gw.message }).toEqual({ state: 'error', message: GATEWAY_ERRORS.nameContractMissing });

    const plan = await run('preview');
    expect(plan.steps.filter((s) => s.op !== 'same')).toEqual([{ op: 'replace', type: expect.stringMatching(/NameProxy$/), name: 'gw' }]);

    const repaired = await run('up');
    expect(repaired.steps.filter((s) => s.op !== 'same').map((s) => `${s.op} ${s.name}`)).toEqual(['replace gw']);
    const secondId = Number(repaired.outputs.nameContractId);
    expect(secondId).not.toBe(firstId);
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBe(secondId);
    expect((await userChain.getContract(secondId))?.twinId).toBe(twinId);
    if (grid.backend === 'linux') expect(await page()).toContain(PAGE);

    await run('destroy');
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBeUndefined();
  });
});
