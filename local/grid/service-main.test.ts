/**
 * The hub service of the local grid (`runHub`, DESIGN.md §4 Flists; zos-protocol.md §6.3): it publishes the busybox
 * base flist and the kernel-mode VM flist, keeps a VM flist of the current version across restarts, rebuilds an
 * older one, and still serves when the VM flist cannot be built, naming the fix in its log.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLineLogger } from '../../protocol/common/log';
import { describeWithTools } from '../../test/helpers/require-tools';
import { VM_FLIST } from '../hub/vm-flist';
import { hubServiceSchema, runHub } from './service-main';

jest.setTimeout(120_000);

describeWithTools(['apt-get', 'apt-cache', 'dpkg', 'tar', 'gzip', 'busybox'])('hub service', () => {
  let dir: string;
  const lines: string[] = [];
  const log = createLineLogger((l) => lines.push(l));
  const start = async (extra: Record<string, unknown> = {}) => runHub(hubServiceSchema.parse({ port: 0, dir: path.join(dir, 'hub'), ...extra }), log);
  const inode = (name: string) => fs.statSync(path.join(dir, 'hub', 'tf', `${name}.flist`)).ino;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-hubsvc-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('publishes tf/base, tf/vm and tf/tls-server and reports their URLs', async () => {
    const hub = await start();
    try {
      const url = String(hub.ready.url);
      expect(hub.ready.baseFlist).toBe(`${url}/tf/base.flist`);
      expect(hub.ready.vmFlist).toBe(`${url}/tf/vm.flist`);
      expect(hub.ready.tlsServerFlist).toBe(`${url}/tf/tls-server.flist`);
      expect(fs.existsSync(path.join(dir, 'hub', 'tf', 'tls-server.flist'))).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'hub', 'tf', '.vm.version'), 'utf8').trim()).toBe(VM_FLIST.version);
    } finally {
      await hub.close();
    }
  });

  it('keeps the VM flist of the current version on the next start and rebuilds base', async () => {
    const before = { vm: inode('vm'), base: inode('base') };
    const hub = await start();
    await hub.close();
    expect(inode('vm')).toBe(before.vm);
    expect(inode('base')).not.toBe(before.base);
  });

  it('rebuilds a VM flist left by an older version', async () => {
    fs.writeFileSync(path.join(dir, 'hub', 'tf', '.vm.version'), '0\n');
    const before = inode('vm');
    const hub = await start();
    await hub.close();
    expect(inode('vm')).not.toBe(before);
    expect(fs.readFileSync(path.join(dir, 'hub', 'tf', '.vm.version'), 'utf8').trim()).toBe(VM_FLIST.version);
  });

  it('serves without a VM flist when the kernel cannot be fetched, and logs the fix', async () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'apt-cache'), '#!/bin/sh\necho "E: No packages found" >&2\nexit 100\n', { mode: 0o755 });
    const saved = { path: process.env.PATH, cache: process.env.TFGRID_KERNEL_CACHE };
    process.env.PATH = `${bin}:${saved.path ?? ''}`;
    process.env.TFGRID_KERNEL_CACHE = path.join(dir, 'empty-cache');
    lines.length = 0;
    try {
      const hub = await start({ dir: path.join(dir, 'hub2') });
      try {
        expect(hub.ready.baseFlist).toBe(`${String(hub.ready.url)}/tf/base.flist`);
        expect(hub.ready.vmFlist).toBeUndefined();
        expect(fs.existsSync(path.join(dir, 'hub2', 'tf', 'vm.flist'))).toBe(false);
      } finally {
        await hub.close();
      }
    } finally {
      process.env.PATH = saved.path;
      if (saved.cache === undefined) delete process.env.TFGRID_KERNEL_CACHE;
      else process.env.TFGRID_KERNEL_CACHE = saved.cache;
    }
    const warn = lines.find((l) => l.includes(' warn vm flist not built (examples/zmachine-vm needs it)'));
    expect(warn).toBeDefined();
    expect(warn).toContain('scripts/install-system-deps.sh');
  });
});
