/**
 * examples/docker-app end to end on the shared local grid (issue 7; DESIGN.md §4 Flists, §5): a private Docker
 * engine (machine.md: dockerd in a namespace of its own) imports the hub's base flist as the image base, the
 * example builds its app image with @pulumi/docker, HubFlist converts it on the hub, and a ZMachine runs it behind
 * a name gateway. A laptop on the grid internet fetches the built page; a rebuild with another message replaces
 * the flist and the machine; destroy leaves no contract and no flist; the engine leaves nothing behind.
 */
import { existsSync } from 'fs';
import { execFileSync } from 'child_process';
import { createChainClient, type ChainClient } from '../../protocol/chain';
import type { GridState } from '../../local/grid/state';
import { startDockerEngine, type DockerEngine } from '../helpers/docker-engine';
import { describeWithTools } from '../helpers/require-tools';
import { ensureE2eGrid, fetchFromLaptop, runE2eExample } from './shared-grid';

jest.setTimeout(600_000);

// Laptop slots are per grid: 1, 2 examples-stacks, 7 gitops, 11 services-gateway, 20 private-network.
const LAPTOP_SLOT = 14;
const SUBDOMAIN = `dockerapp${process.pid}`;

async function hubStatus(url: string): Promise<number> {
  return (await fetch(`${url}.md5`)).status;
}

describeWithTools(['dockerd', 'docker', 'nsenter', 'curl', 'ip'], { root: true })('examples/docker-app on the local grid', () => {
  let grid: GridState;
  let engine: DockerEngine | undefined;
  let chain: ChainClient | undefined;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    grid = await ensureE2eGrid();
    engine = await startDockerEngine();
    // The example's program (docker.Image runs the docker CLI) and the provider plugin (HubFlist runs docker
    // save) are child processes of this one: they find the engine through the environment.
    for (const [k, v] of Object.entries(engine.env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    // The README's base-image step, verbatim (no registry is reachable: the base is the hub's busybox flist).
    const hub = new URL(grid.baseFlist ?? '').origin;
    execFileSync('sh', ['-c', `curl -sf ${hub}/tf/base.flist | docker import - tfgrid-base:latest`], { env: process.env, stdio: 'pipe' });
    chain = await createChainClient({ urls: [grid.chain!.url] });
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await chain?.close();
    if (engine) {
      const { netns, dir, pid } = engine;
      await engine.stop();
      // The engine is gone by PID, with its namespace and directory.
      expect(() => process.kill(pid, 0)).toThrow();
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(netns);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('previews, builds the app image, runs it from the hub flist, serves the built page, follows a rebuild and cleans up', async () => {
    const docker = engine!;
    const hub = new URL(grid.baseFlist!).origin;
    // node 1 pinned (the example picks a gateway node through the grid proxy otherwise): the page is fetched through
    // node 1's gateway below.
    // Preview builds the image (docker.Image always does) and resolves its id, but creates nothing on the hub.
    const preview = await runE2eExample(grid, 'docker-app', 'preview', { subdomain: SUBDOMAIN, node: '1', message: 'first build' });
    expect(preview.steps.map((s) => `${s.op} ${s.type.split(':').pop()}`).sort()).toEqual(['create HubFlist', 'create Image', 'create NameProxy', 'create Network', 'create ZMachine']); // Image: @pulumi/docker 3.x's component, a step of its own under the real engine
    expect(await (await fetch(`${hub}/api/flist/pulumi`)).json()).toEqual([]);

    const up = await runE2eExample(grid, 'docker-app', 'up', { subdomain: SUBDOMAIN, node: '1', message: 'first build' });

    // The image @pulumi/docker built is the one on the hub, under a name carrying its id.
    const built = (await docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'tfgrid-docker-app'])).trim();
    expect(up.outputs.imageId).toBe(built);
    expect(up.outputs.imageName).toBe(`tfgrid-docker-app:${built.slice(7)}`);
    const flist1 = String(up.outputs.flistUrl);
    expect(flist1).toBe(`${hub}/pulumi/app-${built.slice(7, 19)}.flist`);
    expect(await hubStatus(flist1)).toBe(200);
    expect(up.outputs.privateIp).toMatch(/^10\.20\.\d+\.\d+$/);
    expect(up.outputs.url).toBe(`http://${SUBDOMAIN}.node1.tfgrid.test/`);

    const node1 = grid.nodes[0].address.split('/')[0];
    if (grid.backend === 'linux') {
      // The machine runs the built app: the page from the build context and the image's ENV through CGI.
      expect(await fetchFromLaptop(grid, String(up.outputs.url), node1, LAPTOP_SLOT)).toContain('This page was built into a docker image by @pulumi/docker');
      expect(await fetchFromLaptop(grid, `${String(up.outputs.url)}cgi-bin/message`, node1, LAPTOP_SLOT)).toContain('message: first build');
    }

    // Same program, same image: nothing changes (the digest is what the flist diffs on).
    const again = await runE2eExample(grid, 'docker-app', 'up', { subdomain: SUBDOMAIN, node: '1', message: 'first build' });
    expect(again.steps.filter((s) => s.op !== 'same')).toEqual([]);

    // A rebuild with another message: a new image id replaces the flist and the machine; the old flist goes.
    const rebuilt = await runE2eExample(grid, 'docker-app', 'up', { subdomain: SUBDOMAIN, node: '1', message: 'second build' });
    const op = (type: string) => rebuilt.steps.find((s) => s.type.endsWith(`:${type}`))?.op;
    expect(op('HubFlist')).toBe('replace');
    expect(op('ZMachine')).toBe('replace');
    const flist2 = String(rebuilt.outputs.flistUrl);
    expect(flist2).not.toBe(flist1);
    expect(await hubStatus(flist2)).toBe(200);
    expect(await hubStatus(flist1)).toBe(404);
    if (grid.backend === 'linux') {
      expect(await fetchFromLaptop(grid, `${String(rebuilt.outputs.url)}cgi-bin/message`, node1, LAPTOP_SLOT)).toContain('message: second build');
    }

    const down = await runE2eExample(grid, 'docker-app', 'destroy', { subdomain: SUBDOMAIN, node: '1', message: 'second build' });
    expect(down.steps.map((s) => `${s.op} ${s.type.split(':').pop()}`).sort()).toEqual(['delete HubFlist', 'delete Image', 'delete NameProxy', 'delete Network', 'delete ZMachine']);
    expect(await hubStatus(flist2)).toBe(404);
    expect((await chain!.getContract(Number(rebuilt.outputs.contractId)))?.state ?? 'deleted').toBe('deleted');
    expect(await chain!.getContractIdByName(SUBDOMAIN)).toBeUndefined();
  });
});
