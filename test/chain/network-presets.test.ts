/**
 * The network preset table (protocol/chain `NETWORKS`, the provider's `NETWORK_URLS`) against ThreeFold's own
 * clients' defaults: read from the installed official packages where they carry them (the READMEs of
 * `@threefold/gridproxy_client` and `@threefold/tfchain_client` list each network's URL; their code and
 * `@threefold/rmb_direct_client` take URLs as arguments only), and from a committed fixture transcribed from
 * `@threefold/grid_client` 2.9.2 for the rest (provenance inside the fixture; grid_client is not a dependency).
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { NETWORKS, type NetworkName } from '../../protocol/chain/networks';
import { GRID_NETWORKS, NETWORK_URLS, readConfig } from '../../provider/config';

const fixtureSchema = z.object({
  provenance: z.object({ package: z.string().min(1) }).passthrough(),
  networks: z.record(
    z.enum(['dev', 'qa', 'test', 'main']),
    z.object({
      chain: z.array(z.string()),
      relay: z.array(z.string()),
      gridProxy: z.array(z.string()),
      graphql: z.array(z.string()),
      activation: z.array(z.string()),
      kyc: z.array(z.string()),
      hub: z.array(z.string()),
    }),
  ),
});
const fixture = fixtureSchema.parse(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'upstream', 'grid-client-network-urls.json'), 'utf8')));

/** The installed package's folder (its `exports` hide package.json from require.resolve). */
function packageDir(pkg: string): string {
  for (let dir = path.dirname(require.resolve(pkg)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === pkg) return dir;
  }
  throw new Error(`${pkg} is not installed`);
}

/** `- [devnet](https://…)` lines of an installed official package's README, as name → URL. */
function readmeUrls(pkg: string): Map<string, string> {
  const text = fs.readFileSync(path.join(packageDir(pkg), 'README.md'), 'utf8');
  const urls = new Map<string, string>();
  for (const m of text.matchAll(/^- \[(devnet|qanet|testnet|mainnet)\]\(([^)]+)\)/gm)) urls.set(m[1], m[2]);
  return urls;
}

const PUBLIC = [
  ['dev', 'devnet'],
  ['qa', 'qanet'],
  ['test', 'testnet'],
  ['main', 'mainnet'],
] as const;

describe('network presets: one table, checked against the official clients', () => {
  it.each(PUBLIC)('%s equals @threefold/grid_client 2.9.2 defaults (fixture), every service in failover order', (short, name) => {
    const want = fixture.networks[short];
    expect(want).toBeDefined();
    expect(NETWORKS[name]).toEqual(want);
    expect(NETWORK_URLS[short]).toEqual(want);
  });

  it("lists each public network's grid proxy as the installed @threefold/gridproxy_client names it", () => {
    const urls = readmeUrls('@threefold/gridproxy_client');
    expect([...urls.keys()].sort()).toEqual(['devnet', 'mainnet', 'qanet', 'testnet']);
    for (const [name, url] of urls) expect(NETWORKS[name as NetworkName].gridProxy[0]).toBe(url);
  });

  it('lists each public network\'s chain on the host the installed @threefold/tfchain_client names (grid_client adds "/ws")', () => {
    const urls = readmeUrls('@threefold/tfchain_client');
    expect([...urls.keys()].sort()).toEqual(['devnet', 'mainnet', 'qanet', 'testnet']);
    for (const [name, url] of urls) expect(NETWORKS[name as NetworkName].chain[0]).toBe(`${url}/ws`);
  });

  it('has local on the local grid default ports, without the services the local grid does not run', () => {
    expect(NETWORKS.local).toEqual({
      chain: ['ws://127.0.0.1:8000'],
      relay: ['ws://127.0.0.1:8080'],
      gridProxy: ['http://127.0.0.1:8070'],
      graphql: [],
      hub: ['http://127.0.0.1:8090'],
      activation: [],
      kyc: [],
    });
    expect(GRID_NETWORKS).toEqual(['local', 'dev', 'qa', 'test', 'main']);
  });

  it.each(PUBLIC)('lets the provider select %s by either name, and stack config or environment override its URLs', (short, name) => {
    const env = (e: Record<string, string>, c: Record<string, string> = {}) => readConfig((k) => ({ 'tfgrid:network': short, ...c })[k], e);
    for (const given of [short, name]) {
      const c = readConfig((k) => (k === 'tfgrid:network' ? given : undefined), {});
      expect(c).toMatchObject({ network: short, chainUrls: [...NETWORKS[name].chain], relayUrls: [...NETWORKS[name].relay], gridProxyUrl: NETWORKS[name].gridProxy[0] });
    }
    const fromEnv = env({ TFGRID_CHAIN_URLS: 'ws://127.0.0.1:1', TFGRID_RELAY_URLS: 'ws://127.0.0.1:2', TFGRID_GRID_PROXY_URL: 'http://127.0.0.1:3' });
    expect(fromEnv).toMatchObject({ chainUrls: ['ws://127.0.0.1:1'], relayUrls: ['ws://127.0.0.1:2'], gridProxyUrl: 'http://127.0.0.1:3' });
    const fromConfig = env({ TFGRID_RELAY_URLS: 'ws://127.0.0.1:2' }, { 'tfgrid:relayUrls': 'ws://127.0.0.1:4' });
    expect(fromConfig.relayUrls).toEqual(['ws://127.0.0.1:4']);
  });
});
