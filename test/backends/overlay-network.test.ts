/**
 * Mycelium (400::/7) and planetary (200::/7) addresses (zos-protocol.md §6.2, §6.4, §4 result `mycelium_ip`,
 * `planetary_ip`) are real and reachable between nodes: machines on two nodes ping each other's overlay address
 * across the nodes' shared internet segment, and detaching a machine withdraws its address.
 */
import { execFileSync } from 'child_process';
import { describeWithTools } from '../helpers/require-tools';
import { makeTwoNodeNetwork } from './two-node-network';
import type { TwoNodeNetwork } from './two-node-network';

async function ping6(netns: string, target: string, tries = 25): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      execFileSync('nsenter', [`--net=/run/netns/${netns}`, 'ping', '-6', '-c', '1', '-W', '1', target], { stdio: 'pipe' });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}

describeWithTools(['ip', 'wireguard-go', 'wg', 'ping', 'nsenter'], { root: true })('overlay addresses across two nodes', () => {
  let grid: TwoNodeNetwork;
  beforeAll(async () => {
    grid = await makeTwoNodeNetwork('ov', { mycelium: true });
  });
  afterAll(async () => {
    await grid?.teardown();
  });

  it('lets machines on two nodes reach each other on their mycelium and planetary addresses', async () => {
    const [a, b] = grid.nodes;
    const ma = await a.backend.attach({ netId: grid.netId, machine: '7-1-a', ip: '10.20.2.2', myceliumSeed: 'a1a2a3a4a5a6', planetary: true });
    const mb = await b.backend.attach({ netId: grid.netId, machine: '7-2-b', ip: '10.20.3.2', myceliumSeed: 'b1b2b3b4b5b6', planetary: true });
    expect(ma.myceliumIp).toMatch(/^[45][0-9a-f]{2}:/);
    expect(ma.myceliumIp?.split(':').slice(0, 4)).not.toEqual(mb.myceliumIp?.split(':').slice(0, 4)); // one /64 per NR
    expect(await ping6(ma.netns, mb.myceliumIp as string)).toBe(true);
    expect(await ping6(mb.netns, ma.myceliumIp as string)).toBe(true);
    expect(await ping6(ma.netns, mb.planetaryIp as string)).toBe(true);
    await b.backend.detach('7-2-b');
    const proxies = execFileSync('ip', ['-n', b.hostNetns, '-6', 'neigh', 'show', 'proxy'], { encoding: 'utf8' });
    expect(proxies).not.toContain(mb.myceliumIp as string);
  });
});
