/**
 * Fixtures for the backend tests: a docker-save style image tarball built with `tar`, no docker needed
 * (manifest.json + config + two layers, the second with a file whiteout and an opaque directory).
 * @module
 */
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLinuxBackends, type LinuxBackends } from '../../node/backends/machine/linux-backends';

/** Writes `<dir>/image.tar` and returns its path. The image: /etc/b, /data/y, entry `echo 'hello world'`, FOO=bar. */
export async function makeDockerArchive(dir: string): Promise<string> {
  const work = path.join(dir, 'docker-src');
  const l1 = path.join(work, 'l1');
  const l2 = path.join(work, 'l2');
  await fs.mkdir(path.join(l1, 'etc'), { recursive: true });
  await fs.mkdir(path.join(l1, 'data'), { recursive: true });
  await fs.writeFile(path.join(l1, 'etc/a'), 'a');
  await fs.writeFile(path.join(l1, 'etc/b'), 'b');
  await fs.writeFile(path.join(l1, 'data/x'), 'x');
  await fs.mkdir(path.join(l2, 'etc'), { recursive: true });
  await fs.mkdir(path.join(l2, 'data'), { recursive: true });
  await fs.writeFile(path.join(l2, 'etc/.wh.a'), '');
  await fs.writeFile(path.join(l2, 'data/.wh..wh..opq'), '');
  await fs.writeFile(path.join(l2, 'data/y'), 'y');
  const out = path.join(work, 'out');
  await fs.mkdir(path.join(out, 'aaa'), { recursive: true });
  await fs.mkdir(path.join(out, 'bbb'), { recursive: true });
  execFileSync('tar', ['-cf', path.join(out, 'aaa/layer.tar'), '-C', l1, '.']);
  execFileSync('tar', ['-czf', path.join(out, 'bbb/layer.tar'), '-C', l2, '.']); // compressed layers occur in OCI exports
  await fs.writeFile(path.join(out, 'cfg.json'), JSON.stringify({ config: { Entrypoint: ['/bin/echo'], Cmd: ['hello world'], Env: ['FOO=bar', 'PATH=/bin'], WorkingDir: '' } }));
  await fs.writeFile(path.join(out, 'manifest.json'), JSON.stringify([{ Config: 'cfg.json', RepoTags: ['t:latest'], Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]));
  const tarball = path.join(dir, 'image.tar');
  execFileSync('tar', ['-cf', tarball, '-C', out, 'manifest.json', 'cfg.json', 'aaa', 'bbb']);
  return tarball;
}

/** One throw-away node for a backend test file: a temp dir, a host netns and its Linux backends. */
export interface ScratchNode {
  dir: string;
  backends: LinuxBackends;
}

/**
 * Registers beforeAll/afterAll that build a scratch node (prefix `<letter><pid base36>`) with the given qemu
 * limits and remove it afterwards; the returned object is filled in by beforeAll.
 */
export function useScratchNode(letter: string, opts: { qemuMaxSeconds?: number } = {}): ScratchNode {
  const node = {} as ScratchNode;
  let hostNetns = '';
  beforeAll(async () => {
    node.dir = await fs.mkdtemp(path.join(os.tmpdir(), `tfg-${letter}-`));
    const prefix = `${letter}${(process.pid % 1296).toString(36)}`;
    hostNetns = `${prefix}-host`;
    execFileSync('ip', ['netns', 'add', hostNetns]);
    node.backends = createLinuxBackends({
      prefix,
      dataDir: path.join(node.dir, 'node'),
      hostNetns,
      qemu: opts.qemuMaxSeconds ? { maxSeconds: opts.qemuMaxSeconds } : undefined,
    });
  });
  afterAll(async () => {
    await node.backends?.close();
    if (hostNetns) execFileSync('ip', ['netns', 'del', hostNetns]);
    if (node.dir) await fs.rm(node.dir, { recursive: true, force: true });
  });
  return node;
}
