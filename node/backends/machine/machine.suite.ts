/**
 * The MachineBackend behaviour suite (docs/style.md §6), run for every implementation. Facts: zos-protocol.md
 * §6.3 (hostname = workload name, entrypoint, env), §3.5 (machines are replaced, not updated).
 * @module
 */
import type { ResolvedFlist } from '../flist/flist';
import type { MachineBackend, MachineSpec } from './machine';
import { suiteIt, type SuiteOptions } from '../suite-options';

export interface MachineFixture {
  backend: MachineBackend;
  /** A container flist with /bin/sh. */
  flist: ResolvedFlist;
  teardown(): Promise<void>;
}

const MiB = 1n << 20n;

export function describeMachineBackend(name: string, make: () => Promise<MachineFixture>, opts: SuiteOptions = {}, describeFn: jest.Describe = describe): void {
  const it_ = suiteIt(opts.differs);

  describeFn(`MachineBackend: ${name}`, () => {
    let fx: MachineFixture;
    let m: MachineBackend;
    const spec = (id: string, over: Partial<MachineSpec> = {}): MachineSpec => ({
      id,
      name: id.split('-').pop() as string,
      flist: fx.flist,
      cpu: 1,
      memory: 256n * MiB,
      entrypoint: '',
      env: {},
      mounts: [],
      ...over,
    });
    const eventually = async (fn: () => Promise<boolean>) => {
      for (let i = 0; i < 100; i++) {
        if (await fn()) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    beforeAll(async () => {
      fx = await make();
      m = fx.backend;
    });
    afterEach(async () => {
      for (const s of await m.list()) await m.remove(s.id);
    });
    afterAll(async () => {
      await m.close();
      await fx.teardown();
    });

    it_('runs a machine and returns the same machine on a second run', async () => {
      const st = await m.run(spec('7-1-web'));
      expect(st).toMatchObject({ id: '7-1-web', state: 'running' });
      const again = await m.run(spec('7-1-web'));
      expect(again.state).toBe('running');
      expect((await m.list()).map((s) => s.id)).toEqual(['7-1-web']);
    });

    it_('pauses and resumes a machine', async () => {
      await m.run(spec('7-1-p'));
      await m.pause('7-1-p');
      expect((await m.status('7-1-p'))?.state).toBe('paused');
      await m.resume('7-1-p');
      expect((await m.status('7-1-p'))?.state).toBe('running');
    });

    it_('removes a machine, twice without error, and forgets it', async () => {
      await m.run(spec('7-1-gone'));
      await m.remove('7-1-gone');
      await m.remove('7-1-gone');
      expect(await m.status('7-1-gone')).toBeUndefined();
      expect(await m.list()).toEqual([]);
    });

    it_('uses the workload name as hostname and passes env to the entrypoint', async () => {
      await m.run(spec('7-1-named', { entrypoint: '/bin/sh -c "echo host=$(hostname) greet=$GREET; exec sleep 1000"', env: { GREET: 'hello world' } }));
      expect(await eventually(async () => (await m.logs('7-1-named')).includes('host=named greet=hello world'))).toBe(true);
    });

    it_('reports an exited machine with its exit code', async () => {
      await m.run(spec('7-1-done', { entrypoint: '/bin/sh -c "exit 3"' }));
      expect(await eventually(async () => (await m.status('7-1-done'))?.state === 'exited')).toBe(true);
      expect((await m.status('7-1-done'))?.exitCode).toBe(3);
    });

    it_('leaves a running or paused machine as is on restart', async () => {
      const first = await m.run(spec('7-1-up'));
      expect(await m.restart('7-1-up')).toMatchObject({ state: 'running', ...(first.pid ? { pid: first.pid } : {}) });
      await m.pause('7-1-up');
      expect((await m.restart('7-1-up')).state).toBe('paused');
      expect((await m.status('7-1-up'))?.restarts ?? 0).toBe(0);
    });

    it_('refuses to restart an unknown machine', async () => {
      await expect(m.restart('7-1-nobody')).rejects.toThrow("machine '7-1-nobody' not found");
    });

    it_("rejects cpu 0 with ZOS's text", async () => {
      await expect(m.run(spec('7-1-cpu', { cpu: 0 }))).rejects.toThrow("cpu capacity can't be 0");
    });
  });
}
