/**
 * A "laptop" on a running local grid, for people (DESIGN.md §4 "Local grid topology"; zos-protocol.md §6.4 access
 * peer). The nodes' public addresses live inside the grid's internet namespace, so a wg-quick file from a
 * `Network` with `addWgAccess` cannot be used from the root namespace: this script makes a namespace on that
 * internet (`<prefix>-l<slot>`) and, given the file, brings it up there as `wg-quick up` would.
 *
 *   node -r @swc-node/register local/topology/laptop-main.ts up --slot 5 --wg wg.conf [--dir <grid dir>]
 *   nsenter --net=/run/netns/<printed netns> curl http://10.30.2.2:8080/
 *   node -r @swc-node/register local/topology/laptop-main.ts down --slot 5 [--dir <grid dir>]
 *
 * `up` prints one JSON line (`netns`, `ifname`, `pid` of wireguard-go, `address` on the internet) and records it
 * in `<grid dir>/laptops/l<slot>.json`; `down` stops that wireguard-go by pid, removes its socket and the
 * namespace. `tfgrid local down` removes laptop namespaces too (they carry the grid's prefix).
 * @module
 */
import { Command } from 'commander';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { isAlive, killPid } from '../../node/backends/machine/host-command';
import { defaultGridDir, readState } from '../grid/state';
import { joinWgQuick, parseWgQuick, WG_SOCKET_DIR } from './laptop-wireguard';
import { createLaptop, planTopology, removeLaptop } from './topology';

export const laptopRecordSchema = z.object({
  netns: z.string(),
  /** CIDR on the grid internet. */
  address: z.string(),
  /** wireguard-go interface and pid, when a wg-quick file was brought up. */
  ifname: z.string().optional(),
  pid: z.number().int().optional(),
});
export type LaptopRecord = z.infer<typeof laptopRecordSchema>;

export interface LaptopOptions {
  /** The grid's directory (its state file names the prefix). */
  dir: string;
  slot: number;
  /** Text of a wg-quick file to bring up in the laptop. */
  wgQuick?: string;
}

const recordFile = (dir: string, slot: number) => path.join(dir, 'laptops', `l${slot}.json`);

function gridPlan(dir: string) {
  const state = readState(dir);
  if (!state) throw new InputError(`no local grid in ${dir}`, { path: dir, fix: 'run `tfgrid local up` (or pass --dir)' });
  if (state.backend !== 'linux')
    throw new InputError(`the local grid in ${dir} runs the ${state.backend} backend: it has no internet namespace for a laptop`, { fix: 'run `tfgrid local up --backend linux` as root' });
  return planTopology({ prefix: state.prefix, nodes: state.nodes.length, farms: [] });
}

/** Creates laptop `slot` on the grid internet and, with `wgQuick`, joins it to the private network. */
export async function laptopUp(o: LaptopOptions): Promise<LaptopRecord> {
  const plan = gridPlan(o.dir);
  if (o.wgQuick !== undefined) parseWgQuick(o.wgQuick); // refuse a bad file before creating anything
  const laptop = await createLaptop(plan, o.slot);
  const record: LaptopRecord = { netns: laptop.netns, address: laptop.address };
  try {
    if (o.wgQuick !== undefined) {
      const link = await joinWgQuick(laptop.netns, `${plan.prefix}lw${o.slot}`, o.wgQuick, { dir: path.join(o.dir, 'laptops') });
      Object.assign(record, { ifname: link.ifname, pid: link.pid });
    }
  } catch (err) {
    await removeLaptop(laptop);
    throw err;
  }
  await fs.mkdir(path.dirname(recordFile(o.dir, o.slot)), { recursive: true });
  await fs.writeFile(recordFile(o.dir, o.slot), JSON.stringify(record) + '\n');
  return record;
}

/** Stops laptop `slot`'s wireguard-go (by its recorded pid), removes its socket and namespace. False when there was none. */
export async function laptopDown(o: Pick<LaptopOptions, 'dir' | 'slot'>): Promise<boolean> {
  const file = recordFile(o.dir, o.slot);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const record = laptopRecordSchema.parse(JSON.parse(raw));
  // The pid is ours only while it is still that interface's wireguard-go.
  if (record.pid && record.ifname && isAlive(record.pid)) {
    let cmdline: string[] = [];
    try {
      cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    } catch {
      /* exited meanwhile */
    }
    if (cmdline.includes('wireguard-go') && cmdline.includes(record.ifname)) await killPid(record.pid);
  }
  if (record.ifname) await fs.rm(path.join(WG_SOCKET_DIR, `${record.ifname}.sock`), { force: true });
  await removeLaptop({ netns: record.netns, address: record.address, dev: 'eth0' });
  await fs.rm(file, { force: true });
  return true;
}

function parseSlot(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new InputError(`--slot ${v}: expected an integer 0..200`, { path: '--slot' });
  return n;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('laptop-main').description('a laptop namespace on the local grid internet, optionally joined with a wg-quick file');
  program
    .command('up')
    .requiredOption('--slot <n>', 'laptop number: namespace <prefix>-l<n>, address 198.18.250.(10+n)', parseSlot)
    .option('--wg <file>', 'wg-quick file to bring up (e.g. `pulumi stack output accessConfig --show-secrets`)')
    .option('--dir <path>', 'grid directory; default $TFGRID_LOCAL_DIR or ~/.tfgrid/local')
    .action(async (o: { slot: number; wg?: string; dir?: string }) => {
      const wgQuick = o.wg === undefined ? undefined : await fs.readFile(o.wg, 'utf8');
      process.stdout.write(JSON.stringify(await laptopUp({ dir: o.dir ?? defaultGridDir(), slot: o.slot, wgQuick })) + '\n');
    });
  program
    .command('down')
    .requiredOption('--slot <n>', 'laptop number', parseSlot)
    .option('--dir <path>', 'grid directory; default $TFGRID_LOCAL_DIR or ~/.tfgrid/local')
    .action(async (o: { slot: number; dir?: string }) => {
      const gone = await laptopDown({ dir: o.dir ?? defaultGridDir(), slot: o.slot });
      process.stdout.write(gone ? `laptop ${o.slot} removed\n` : `no laptop ${o.slot}\n`);
    });
  await program.parseAsync(argv);
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`laptop: ${errorText(err)}\n`);
    process.exit(err instanceof InputError ? 2 : 1);
  });
}
