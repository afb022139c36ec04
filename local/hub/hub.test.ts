/** The local flist hub over HTTP, the base flist and docker-image conversion, read back by the flist backend (§6.3). */
import { promises as fs } from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { describeWithTools } from '../../test/helpers/require-tools';
import { makeDockerArchive } from '../../test/backends/fixtures';
import { createLinuxFlists } from '../../node/backends/flist/linux';
import { buildBaseRootfs } from './base-flist';
import { createHub } from './hub';
import type { Hub } from './hub';

function request(method: string, url: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describeWithTools(['tar', 'busybox'])('local hub', () => {
  let dir: string;
  let hub: Hub;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-hub-'));
    hub = await createHub({ dir: path.join(dir, 'hub') });
  });
  afterAll(async () => {
    await hub.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('serves the busybox base flist, and the flist backend runs it as a container with a startup entry', async () => {
    const url = await hub.publishDir('tf', 'base', await buildBaseRootfs(path.join(dir, 'base')));
    expect(url).toBe(`${hub.url}/tf/base.flist`);
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache') });
    const f = await flists.resolve(url);
    expect(f.mode).toBe('container');
    expect(f.startup?.entry).toContain('httpd -p 80');
    expect((await fs.lstat(path.join(f.rootfs, 'bin/sh'))).isSymbolicLink()).toBe(true);
    expect((await fs.stat(path.join(f.rootfs, 'bin/busybox'))).mode & 0o111).toBeTruthy();
    const again = await flists.resolve(url);
    expect(again.key).toBe(f.key);
  });

  it('lists flists with their md5, and serves the .md5 file', async () => {
    const list = await hub.list('tf');
    expect(list.map((e) => e.name)).toContain('base.flist');
    const md5 = await request('GET', `${hub.url}/tf/base.flist.md5`);
    expect(md5.body.toString().trim()).toBe(list.find((e) => e.name === 'base.flist')?.md5);
    const api = await request('GET', `${hub.url}/api/flist`);
    expect(JSON.parse(api.body.toString())).toEqual(['tf']);
  });

  it('converts an uploaded docker image tarball into a flist', async () => {
    const tarball = await makeDockerArchive(dir);
    const put = await request('PUT', `${hub.url}/me/app.flist?from=docker`, await fs.readFile(tarball));
    expect(put.status).toBe(201);
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache-docker') });
    const f = await flists.resolve(hub.flistUrl('me', 'app'));
    expect(f.startup).toEqual({ entry: "/bin/echo 'hello world'", env: { FOO: 'bar', PATH: '/bin' } });
    expect(await fs.readFile(path.join(f.rootfs, 'data/y'), 'utf8')).toBe('y');
  });

  it('refuses an upload that is not a gzip tar, and answers 404 for an unknown flist', async () => {
    const bad = await request('PUT', `${hub.url}/me/bad.flist`, Buffer.from('nope'));
    expect(bad.status).toBe(400);
    expect((await request('GET', `${hub.url}/me/bad.flist`)).status).toBe(404);
    const flists = createLinuxFlists({ dir: path.join(dir, 'cache-404') });
    await expect(flists.resolve(hub.flistUrl('me', 'bad'))).rejects.toThrow(/failed to download flist .*bad\.flist: HTTP 404/);
  });

  it('rejects path tricks in repo and flist names', async () => {
    expect((await request('GET', `${hub.url}/..%2Fetc/passwd.flist`)).status).toBe(400);
  });
});
