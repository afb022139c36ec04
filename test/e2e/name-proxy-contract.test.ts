/**
 * examples/name-proxy when its name contract is cancelled outside Pulumi (issue 9; zos-protocol.md §1.5
 * gateway-name-proxy, §6.5; provider/resources/name-proxy.ts), on the shared e2e grid through the test engine:
 * the page is served through the proxy; the user cancels the name contract with the chain client (as from the
 * dashboard); `preview` then plans a replacement of the NameProxy, `up` replaces it, reserving the name again (a new
 * name contract of the user's twin) and the page is served again; `destroy` succeeds and frees the name.
 * The node side (the gateway stops serving a name whose contract is gone, and its workload turns `error`) is tested
 * in node/engine/managers/gateway-name-proxy.test.ts and test/node/services-gateway.test.ts: the grid's nodes
 * check name contracts at ZOS's hourly pace.
 * Fetching pages needs a laptop namespace (linux grids); on the sim backend only the chain and the plans are checked.
 */
import * as path from 'path';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import { identityFromSecret } from '../../protocol/common/identity';
import { addGridUser } from '../../local/grid/grid';
import { runExample, type ExampleMode } from '../../local/grid/example-runner';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir, ensureE2eGrid, fetchFromLaptop } from './shared-grid';

jest.setTimeout(300_000);
const SUBDOMAIN = 'e2enc';
const FQDN = `${SUBDOMAIN}.node1.tfgrid.test`;
const LAPTOP_SLOT = 12;
const PAGE = 'hello from the tfgrid base flist';

let grid: GridState;
let mnemonic: string;
let twinId: number;
let chain: ChainClient;
let userChain: ChainClient;

/** Runs the example as this file's own user, on its own stack (examples-stacks runs the same project as `e2e`). */
async function run(mode: ExampleMode) {
  const r = await runExample({
    programDir: path.join(__dirname, '..', '..', 'examples', 'name-proxy'),
    grid,
    mode,
    stack: 'e2e-name-contract',
    via: 'test-engine',
    config: { subdomain: SUBDOMAIN, 'tfgrid:mnemonic': mnemonic },
  });
  if (!r.ok) throw new Error(`${mode} examples/name-proxy failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
  return r;
}

const page = async () => fetchFromLaptop(grid, `http://${FQDN}/`, grid.nodes[0].address.split('/')[0], LAPTOP_SLOT);

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
  it('is noticed by preview, re-reserved by up (the page is served again), and destroy frees the name', async () => {
    const first = await run('up');
    expect(first.outputs.fqdn).toBe(FQDN);
    const firstId = Number(first.outputs.nameContractId);
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBe(firstId);
    if (grid.backend === 'linux') expect(await page()).toContain(PAGE);

    // the user cancels the name contract from the dashboard
    await userChain.cancelContract(firstId);
    expect(await userChain.getContractIdByName(SUBDOMAIN)).toBeUndefined();

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

