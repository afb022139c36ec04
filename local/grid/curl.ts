/**
 * `tfgrid local curl <url>`: fetches a page deployed on the local grid as a visitor on the grid's internet would:
 * from a throwaway "laptop" namespace on the grid's internet (never the root namespace, whose routes lead off the
 * grid), the host resolved by the grid DNS (`*.node<i>.tfgrid.test`, `tfgrid local dns add` names), HTTPS
 * trusting the grid's CA. Needs the linux backend (the sim backend has no grid internet).
 * @module
 */
import { isIP } from 'net';
import { InputError } from '../../protocol/common/errors';
import { createGridDnsResolver } from '../dns/grid-dns';
import { createLaptop, listNamespaces, planTopology, removeLaptop, runCommand } from '../topology';
import type { GridState } from './state';

/** Laptop slots this command uses, highest first (tests use low slots; two concurrent curls take two slots). */
const SLOTS = Array.from({ length: 20 }, (_, i) => 200 - i);

/** The host's address on the grid internet: an IP as given, else the grid DNS's answer. */
export async function resolveOnGrid(state: GridState, host: string, resolve = state.dns ? createGridDnsResolver(`${state.dns.address}:${state.dns.port}`) : undefined): Promise<string> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return bare;
  if (!resolve) throw new InputError('the local grid has no DNS running', { fix: '`tfgrid local up` starts it (`tfgrid local status` shows it)' });
  const [address] = await resolve(bare);
  if (!address) {
    throw new InputError(`the grid DNS has no address for ${bare}`, {
      path: '<url>',
      fix: `a NameProxy serves <subdomain>.node<i>.tfgrid.test; for your own domain run \`tfgrid local dns add ${bare} node1\``,
    });
  }
  return address;
}

/** Fetches `url` from a laptop namespace on the grid's internet; returns the body (curl's stdout). */
export async function curlOnGrid(state: GridState, url: string, opts: { include?: boolean } = {}): Promise<string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`"${url}" is not a URL`, { path: '<url>', fix: 'e.g. tfgrid local curl http://web.node1.tfgrid.test' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError(`"${url}" is not an http(s) URL`, { path: '<url>' });
  if (state.backend !== 'linux') {
    throw new InputError(`the local grid runs the ${state.backend} backend, which has no grid internet to fetch from`, {
      fix: 'start the grid as root with the linux backend (`tfgrid local down`, then `tfgrid local up --backend linux`)',
    });
  }
  const address = await resolveOnGrid(state, u.hostname);
  const taken = new Set(await listNamespaces());
  const slot = SLOTS.find((s) => !taken.has(`${state.prefix}-l${s}`));
  if (slot === undefined) throw new InputError(`every laptop slot ${SLOTS.at(-1)}..${SLOTS[0]} is in use`, { fix: 'wait for the other `tfgrid local curl` runs to end' });
  const laptop = await createLaptop(planTopology({ prefix: state.prefix, nodes: state.nodes.length, farms: [] }), slot);
  try {
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const pinned = isIP(address) === 6 ? `[${address}]` : address;
    const args = [`--net=/run/netns/${laptop.netns}`, 'curl', '-sS', '--fail', '--max-time', '20', '--retry', '3', '--retry-delay', '1', '--retry-connrefused'];
    if (!isIP(host)) args.push('--resolve', `${host}:${port}:${pinned}`);
    if (state.ca) args.push('--cacert', state.ca.certFile);
    if (opts.include) args.push('--include');
    return await runCommand('nsenter', [...args, url]);
  } finally {
    await removeLaptop(laptop);
  }
}
