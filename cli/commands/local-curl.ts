/**
 * `tfgrid local curl <url>`: the page you deployed, fetched as a visitor on the grid's internet would
 * (local/grid/curl.ts). The last step of the quickstart: `tfgrid local curl http://web.node1.tfgrid.test`.
 * @module
 */
import type { Command } from 'commander';
import { InputError } from '../../protocol/common/errors';
import { curlOnGrid } from '../../local/grid/curl';
import { defaultGridDir, readState } from '../../local/grid/state';

export function registerLocalCurl(local: Command): void {
  local
    .command('curl <url>')
    .description("fetch a page deployed on the local grid from a laptop namespace on the grid's internet (grid DNS, grid CA)")
    .option('--dir <path>', 'grid directory; default $TFGRID_LOCAL_DIR or ~/.tfgrid/local')
    .option('-i, --include', "print the response's status line and headers too")
    .action(async (url: string, o: { dir?: string; include?: boolean }) => {
      const state = readState(o.dir ?? defaultGridDir());
      if (!state) throw new InputError('the local grid is not running', { fix: 'run `tfgrid local up` first' });
      process.stdout.write(await curlOnGrid(state, url, { include: o.include }));
    });
}
