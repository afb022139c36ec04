/**
 * HubFlist against a real local hub (local/hub/hub.ts): check resolves the image id, create converts a
 * `docker save` archive into a flist, diff replaces on a new image id, read sees the flist go, delete removes it.
 * The rules and the lifecycle use a stand-in docker engine (a DockerCli that writes a docker-archive tarball by
 * hand); the last suite runs the real docker CLI against a private dockerd (test/helpers/docker-engine.ts), as
 * test/e2e/docker-app.test.ts does on the grid.
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHub, type Hub } from '../../local/hub/hub';
import { startDockerEngine, type DockerEngine } from '../../test/helpers/docker-engine';
import { describeWithTools } from '../../test/helpers/require-tools';
import { UNKNOWN } from '../inputs';
import {
  checkHubFlist,
  createHubFlist,
  defaultHubFlistDeps,
  deleteHubFlist,
  diffHubFlist,
  dockerRef,
  flistFileName,
  readHubFlist,
  updateHubFlist,
  type DockerCli,
  type HubFlistDeps,
} from './hub-flist';

const ID_A = `sha256:${'a1'.repeat(32)}`;
const ID_B = `sha256:${'b2'.repeat(32)}`;

let work: string;
let hub: Hub;

/** A docker engine holding two images (tags `app:v1`, `app:v2`), each a one-layer archive serving a page. */
function engine(calls: string[]): HubFlistDeps {
  const images: Record<string, { id: string; page: string }> = { 'app:v1': { id: ID_A, page: 'version one' }, 'app:v2': { id: ID_B, page: 'version two' } };
  const byRef = (ref: string) => images[ref] ?? Object.values(images).find((i) => i.id === ref);
  const cli: DockerCli = {
    async imageId(ref) {
      calls.push(`inspect ${ref}`);
      const img = byRef(ref);
      if (!img) throw new Error(`Error: No such image: ${ref}`);
      return img.id;
    },
    async save(ref, file) {
      calls.push(`save ${ref}`);
      const img = byRef(ref);
      if (!img) throw new Error(`Error: No such image: ${ref}`);
      const dir = await fs.mkdtemp(path.join(work, 'img-'));
      await fs.mkdir(path.join(dir, 'rootfs/srv/www'), { recursive: true });
      await fs.writeFile(path.join(dir, 'rootfs/srv/www/index.html'), img.page);
      execFileSync('tar', ['-cf', path.join(dir, 'layer.tar'), '-C', path.join(dir, 'rootfs'), '.']);
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ config: { Cmd: ['/bin/httpd', '-f', '-h', '/srv/www'], Env: ['APP=demo'] } }));
      await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: null, Layers: ['layer.tar'] }]));
      execFileSync('tar', ['-cf', file, '-C', dir, 'manifest.json', 'config.json', 'layer.tar']);
    },
  };
  return { docker: () => cli };
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-hubflist-test-'));
  hub = await createHub({ dir: path.join(work, 'hub') });
});
afterAll(async () => {
  await hub.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('HubFlist rules', () => {
  it.each([
    ['app:v1', 'app:v1'],
    [`tfgrid-docker-app:${'c3'.repeat(32)}`, `sha256:${'c3'.repeat(32)}`],
    [`localhost:5000/app:dev-${'d4'.repeat(32)}`, `sha256:${'d4'.repeat(32)}`],
    [ID_A, ID_A],
    ['app:latest-not-an-id', 'app:latest-not-an-id'],
  ])('asks docker for %s as %s', (image, ref) => {
    expect(dockerRef(image)).toBe(ref);
  });

  it('names the flist file after the base name and the image id', () => {
    expect(flistFileName('app', ID_A)).toBe('app-a1a1a1a1a1a1');
  });

  it.each([
    [{ imageId: ID_B }, ['imageId'], true],
    [{ hubUrl: 'http://127.0.0.1:1' }, ['hubUrl'], true],
    [{ baseName: 'other' }, ['baseName'], true],
    [{ image: 'app:other-tag' }, [], true],
    [{}, [], false],
  ])('diff of %j replaces %j', (change, replaces, changes) => {
    const olds = { image: 'app:v1', hubUrl: 'http://h', repo: 'pulumi', baseName: 'app', imageId: ID_A, url: 'http://h/pulumi/app-a1.flist' };
    expect(diffHubFlist(olds, { ...olds, ...change })).toEqual({ changes, replaces, deleteBeforeReplace: false });
  });

  it.each([
    [{ image: 'app:v1', hubUrl: 'ftp://x', baseName: 'app' }, 'hubUrl', 'must be http or https'],
    [{ image: 'app:v1', hubUrl: 'http://h', baseName: '-x' }, 'baseName', 'HubFlist "-x": baseName must match'],
    [{ image: 'app:v1', hubUrl: 'http://h', repo: 'a..b', baseName: 'app' }, 'repo', 'repo cannot contain ".."'],
    [{ image: '', hubUrl: 'http://h', baseName: 'app' }, 'image', 'cannot be empty'],
    [{ image: 'app:v9', hubUrl: 'http://h', baseName: 'app' }, 'image', 'docker has no image "app:v9"'],
  ])('refuses %j at %s', async (news, property, reason) => {
    const r = await checkHubFlist(news, engine([]));
    expect(r.failures).toEqual([{ property, reason: expect.stringContaining(reason) }]);
  });

  it('leaves the image id unresolved while the image is unknown (preview)', async () => {
    const calls: string[] = [];
    const r = await checkHubFlist({ image: UNKNOWN, hubUrl: 'http://h', baseName: 'app' }, engine(calls));
    expect(r.failures).toEqual([]);
    expect(r.inputs.imageId).toBeUndefined();
    expect(calls).toEqual([]);
  });
});

describe('HubFlist lifecycle on the local hub', () => {
  it('converts the image, replaces it on a new image id, notices it gone, and deletes it', async () => {
    const calls: string[] = [];
    const deps = engine(calls);
    const c1 = await checkHubFlist({ image: 'app:v1', hubUrl: hub.url, baseName: 'app', __provider: 'p' }, deps);
    expect(c1.failures).toEqual([]);
    expect(c1.inputs).toMatchObject({ imageId: ID_A, repo: 'pulumi', __provider: 'p' });

    const v1 = await createHubFlist(c1.inputs, deps);
    expect(v1.id).toBe(`${hub.url}/pulumi/app-a1a1a1a1a1a1.flist`);
    expect(v1.outs).toMatchObject({ url: v1.id, flistName: 'app-a1a1a1a1a1a1', state: 'ok', imageId: ID_A });
    expect(v1.outs.__provider).toBeUndefined();
    expect(calls).toEqual(['inspect app:v1', `save ${ID_A}`]);
    const [entry] = await hub.list('pulumi');
    expect(entry).toEqual({ name: 'app-a1a1a1a1a1a1.flist', size: expect.any(Number), md5: v1.outs.md5 });
    const listing = execFileSync('tar', ['-tzf', path.join(work, 'hub/pulumi/app-a1a1a1a1a1a1.flist')], { encoding: 'utf8' });
    expect(listing).toContain('./srv/www/index.html');
    expect(execFileSync('tar', ['-xzOf', path.join(work, 'hub/pulumi/app-a1a1a1a1a1a1.flist'), './.startup.toml'], { encoding: 'utf8' })).toContain('/bin/httpd -f -h /srv/www');

    // A new tag for the same image id changes nothing on the hub.
    const same = await checkHubFlist({ image: ID_A, hubUrl: hub.url, baseName: 'app' }, deps);
    expect(diffHubFlist(v1.outs, same.inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(updateHubFlist(v1.outs, same.inputs).outs).toMatchObject({ url: v1.id, image: ID_A, md5: v1.outs.md5 });

    // A rebuilt image: a new flist next to the old one, then the old one goes (create-before-delete).
    const c2 = await checkHubFlist({ image: 'app:v2', hubUrl: hub.url, baseName: 'app' }, deps);
    expect(diffHubFlist(v1.outs, c2.inputs).replaces).toEqual(['imageId']);
    const v2 = await createHubFlist(c2.inputs, deps);
    expect((await hub.list('pulumi')).map((e) => e.name)).toEqual(['app-a1a1a1a1a1a1.flist', 'app-b2b2b2b2b2b2.flist']);
    await deleteHubFlist(v1.outs);
    expect((await hub.list('pulumi')).map((e) => e.name)).toEqual(['app-b2b2b2b2b2b2.flist']);

    expect((await readHubFlist(v2.id, v2.outs)).props.state).toBe('ok');
    await fs.rm(path.join(work, 'hub/pulumi/app-b2b2b2b2b2b2.flist'));
    expect((await readHubFlist(v2.id, v2.outs)).props.state).toBe('gone');
    await expect(deleteHubFlist(v2.outs)).resolves.toBeUndefined();
  });

  it('reports a hub that refuses the upload with its answer', async () => {
    const deps = engine([]);
    const c = await checkHubFlist({ image: 'app:v1', hubUrl: hub.url, repo: 'x', baseName: 'app' }, deps);
    const broken: HubFlistDeps = { docker: () => ({ ...deps.docker(undefined), save: async (_ref, file) => fs.writeFile(file, 'not a tar') }) };
    await expect(createHubFlist(c.inputs, broken)).rejects.toThrow(/create HubFlist "app" \(.*\/x\/app-a1a1a1a1a1a1\.flist\): the hub refused the image \(HTTP 400\)/);
    expect(await hub.list('x')).toEqual([]);
  });

  it('names the hub it cannot reach', async () => {
    const c = await checkHubFlist({ image: 'app:v1', hubUrl: 'http://127.0.0.1:1', baseName: 'app' }, engine([]));
    await expect(createHubFlist(c.inputs, engine([]))).rejects.toThrow('create HubFlist "app" (http://127.0.0.1:1/pulumi/app-a1a1a1a1a1a1.flist): hub http://127.0.0.1:1 unreachable');
  });
});

describeWithTools(['dockerd', 'docker', 'nsenter', 'ip', 'busybox'], { root: true })('HubFlist with a real docker engine', () => {
  let engine: DockerEngine | undefined;
  beforeAll(async () => {
    engine = await startDockerEngine();
    const root = path.join(work, 'base-rootfs');
    await fs.mkdir(path.join(root, 'bin'), { recursive: true });
    await fs.copyFile('/bin/busybox', path.join(root, 'bin/busybox'));
    await fs.symlink('busybox', path.join(root, 'bin/sh'));
    execFileSync('tar', ['-czf', path.join(work, 'base.tar.gz'), '-C', root, '.']);
    await engine.docker(['import', path.join(work, 'base.tar.gz'), 'tfg-test-base:latest']);
    const ctx = path.join(work, 'ctx');
    await fs.mkdir(path.join(ctx, 'www'), { recursive: true });
    await fs.writeFile(path.join(ctx, 'www/index.html'), 'built page\n');
    await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM tfg-test-base:latest\nENV GREETING="hi there"\nCOPY www /srv/www\nWORKDIR /srv/www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080"]\n');
    await engine.docker(['build', '-t', 'tfg-test-app:v1', ctx]);
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('resolves a tag to the image id, converts docker save output on the hub, and deletes it', async () => {
    const id = (await engine!.docker(['image', 'inspect', '--format', '{{.Id}}', 'tfg-test-app:v1'])).trim();
    // The engine is named by input here (the e2e test passes it through DOCKER_HOST instead).
    const c = await checkHubFlist({ image: 'tfg-test-app:v1', hubUrl: hub.url, repo: 'real', baseName: 'app', dockerHost: engine!.host }, defaultHubFlistDeps);
    expect(c.failures).toEqual([]);
    expect(c.inputs.imageId).toBe(id);
    // @pulumi/docker's unique name carries the same id; its tag never exists locally.
    const viaName = await checkHubFlist({ ...c.inputs, image: `tfg-test-app:${id.slice(7)}` }, defaultHubFlistDeps);
    expect(viaName.inputs.imageId).toBe(id);

    const created = await createHubFlist(c.inputs, defaultHubFlistDeps);
    const file = path.join(work, 'hub/real', `app-${id.slice(7, 19)}.flist`);
    const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' });
    expect(listing).toContain('./srv/www/index.html');
    expect(listing).toContain('./bin/busybox');
    const startup = execFileSync('tar', ['-xzOf', file, './.startup.toml'], { encoding: 'utf8' });
    expect(startup).toContain(`name = ${JSON.stringify("/bin/sh -c 'cd /srv/www && exec /bin/busybox httpd -f -p 8080'")}`);
    expect(startup).toContain('"GREETING" = "hi there"');

    const missing = await checkHubFlist({ ...c.inputs, image: 'tfg-test-app:nope' }, defaultHubFlistDeps);
    expect(missing.failures[0].reason).toMatch(/docker has no image "tfg-test-app:nope" \(.*No such (image|object)/);

    await deleteHubFlist(created.outs);
    expect(await hub.list('real')).toEqual([]);
  });
});
