/** The laptop script's refusals (laptop-main.ts); bringing a laptop up on a grid is test/e2e/private-network.test.ts. */
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { laptopDown, laptopUp, main } from './laptop-main';

describe('laptop-main', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tfg-laptop-main-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to make a laptop where no local grid runs, and says how to start one', async () => {
    await expect(laptopUp({ dir, slot: 3 })).rejects.toMatchObject({ message: `no local grid in ${dir}`, context: { fix: 'run `tfgrid local up` (or pass --dir)' } });
  });

  it('reports that there was no laptop to take down', async () => {
    await expect(laptopDown({ dir, slot: 3 })).resolves.toBe(false);
  });

  it('refuses a slot outside 0..200 before touching anything', async () => {
    await expect(main(['node', 'laptop-main', 'down', '--slot', '201', '--dir', dir])).rejects.toThrow('--slot 201: expected an integer 0..200');
  });
});
