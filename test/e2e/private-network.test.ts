/**
 * examples/private-network on the shared local grid (issue 8 "Done when"; zos-protocol.md §6.4 networks and the
 * user access peer): three nodes with a /24 each and a busybox httpd on every node, and a WireGuard access peer.
 * A "laptop" namespace on the grid's internet (outside every node) brings the example's secret `accessConfig` up
 * exactly as written (local/topology/laptop-wireguard.ts), dials the access node's public endpoint and fetches a
 * page from the machine on each node: the other nodes' machines are reached through the access node, over
 * WireGuard between the nodes. The stack runs with `mycelium: true`: each machine gets a 400::/7 address derived
 * as ZOS does (node/backends/network/addressing.ts: the NR /64 from the network's mycelium key, `ff0f`, the
 * machine's seed) and fetches the other nodes' pages on it. The local grid has no mycelium daemon; the nodes
 * route 400::/7 over their shared internet segment instead (node/backends/network/linux.ts `connectOverlay`).
 */
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import type { GridState } from '../../local/grid/state';
import { isAlive } from '../../node/backends/machine/host-command';
import { myceliumIp, myceliumPrefix } from '../../node/backends/network/addressing';
import { readState } from '../engine/engine';
import { execUntilOk, gridMachine } from '../helpers/grid-machine';
import { projectName } from '../../local/grid/example-runner';
import { createLaptop, listNamespaces, planTopology, removeLaptop, runCommand, type Laptop } from '../../local/topology';
import { WG_SOCKET_DIR, joinWgQuick, parseWgQuick, type WgQuickLink } from '../../local/topology/laptop-wireguard';
import { describeWithTools } from '../helpers/require-tools';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);

const EXAMPLE = 'private-network';
/** Laptop slots of other e2e files: 1, 2 (examples-stacks), 7 (gitops), 11 (services-gateway). */
const LAPTOP_SLOT = 20;
const PAGE = 'hello from the tfgrid base flist';

describe('examples/private-network on the local grid', () => {
  let grid: GridState;
  let up: Awaited<ReturnType<typeof runE2eExample>>;
  beforeAll(async () => {
    grid = await ensureE2eGrid();
    up = await runE2eExample(grid, EXAMPLE, 'up', { mycelium: 'true' });
  });
  afterAll(async () => {
    if (up) await runE2eExample(grid, EXAMPLE, 'destroy', { mycelium: 'true' });
  });

  it('gives each of three nodes its own /24 with one machine in it, and outputs the access config as a secret', () => {
    const ips = up.outputs.privateIps as string[];
    const subnets = up.outputs.nodeSubnets as Record<string, string>;
    expect(Object.keys(subnets).sort()).toEqual(['1', '2', '3']);
    expect(new Set(Object.values(subnets)).size).toBe(3);
    expect(ips).toHaveLength(3);
    ips.forEach((ip, i) => expect(ip.split('.').slice(0, 3).join('.') + '.0/24').toBe(subnets[String(i + 1)]));
    expect(up.secretOutputs).toContain('accessConfig');
    expect(up.secretOutputs).not.toContain('privateIps');
    const access = parseWgQuick(String(up.outputs.accessConfig));
    // The access peer's /24 is a fourth one of the range, not one of the nodes'.
    const accessWgIp = access.addresses[0].split('/')[0];
    expect(accessWgIp).toMatch(/^100\.64\.30\.\d+$/);
    expect(Object.values(subnets).map((s) => `100.64.30.${s.split('.')[2]}`)).not.toContain(accessWgIp);
  });

  describeWithTools(['ip', 'wireguard-go', 'wg', 'curl', 'nsenter'], { root: true })('a laptop with the access config', () => {
    let laptop: Laptop | undefined;
    let wg: WgQuickLink | undefined;
    afterAll(async () => {
      await wg?.close();
      if (laptop) await removeLaptop(laptop);
    });

    it('dials the access node from the internet and fetches the page of the machine on each node', async () => {
      if (grid.backend !== 'linux') throw new Error(`the shared e2e grid runs the ${grid.backend} backend; the laptop needs linux (root)`);
      const conf = parseWgQuick(String(up.outputs.accessConfig));
      expect(conf.peers).toHaveLength(1);
      const [peer] = conf.peers;
      // The peer is the access node (the example's accessNode, node 1) on its public address on the grid
      // internet, at its WireGuard port.
      const endpointIp = String(peer.endpoint).replace(/:\d+$/, '');
      expect(grid.nodes.filter((n) => n.address.split('/')[0] === endpointIp).map((n) => n.index)).toEqual([1]);
      expect(peer.allowedIps).toEqual(['10.30.0.0/16', '100.64.0.0/16']);

      const plan = planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] });
      laptop = await createLaptop(plan, LAPTOP_SLOT);
      // Outside the grid: the laptop reaches the endpoint over the internet bridge, not through any node.
      expect(await runCommand('ip', ['-n', laptop.netns, 'route', 'get', endpointIp])).toMatch(new RegExp(`dev ${laptop.dev} `));
      wg = await joinWgQuick(laptop.netns, `${grid.prefix}lw${LAPTOP_SLOT}`, String(up.outputs.accessConfig), { dir: path.join(grid.dir, 'laptops') });

      const ips = up.outputs.privateIps as string[];
      for (const [i, ip] of ips.entries()) {
        const route = await runCommand('ip', ['-n', laptop.netns, 'route', 'get', ip]);
        expect(route).toContain(`dev ${wg.ifname} `);
        // The first packets wait for the handshake and the httpd start: curl retries those.
        const get = (p: string) =>
          runCommand('nsenter', [`--net=/run/netns/${laptop!.netns}`, 'curl', '-sS', '--fail', '--connect-timeout', '5', '--max-time', '20', '--retry', '8', '--retry-delay', '1', '--retry-connrefused', `http://${ip}:8080/${p}`]);
        expect(await get('')).toContain(PAGE);
        expect((await get('who.txt')).trim()).toBe(`served by m${i + 1}`);
      }
      // One tunnel carried it all: the laptop shook hands with the access node and nothing else.
      const shown = execFileSync('wg', ['show', wg.ifname, 'dump'], { encoding: 'utf8' }).trim().split('\n').slice(1);
      expect(shown).toHaveLength(1);
      const [pub, , endpoint, , handshake, rx] = shown[0].split('\t');
      expect([pub, endpoint]).toEqual([peer.publicKey, peer.endpoint]);
      expect(Number(handshake)).toBeGreaterThan(0);
      expect(Number(rx)).toBeGreaterThan(0);
    });

    it('leaves no wireguard-go, socket or namespace behind when the laptop leaves', async () => {
      if (!wg || !laptop) throw new Error('the laptop did not come up (see the test before)');
      const { ifname, pid } = wg;
      await wg.close();
      wg = undefined;
      await removeLaptop(laptop);
      const netns = laptop.netns;
      laptop = undefined;
      expect(existsSync(path.join(WG_SOCKET_DIR, `${ifname}.sock`))).toBe(false);
      expect(isAlive(pid)).toBe(false);
      expect(await listNamespaces()).not.toContain(netns);
    });
  });

  it('gives each machine the mycelium IP ZOS derives from the network key of its node and the machine seed', () => {
    // The seeds and keys are in the stack's state (the test engine's file); the IPs are what the nodes reported.
    const state = readState(path.join(grid.dir, 'stacks', `${projectName(path.join(__dirname, '..', '..', 'examples', EXAMPLE))}.e2e.json`));
    const byName = (name: string) => Object.values(state.resources).find((r) => r.name === name)!.outputs;
    const keys = byName('net').myceliumKeys as Record<string, string>;
    const ips = up.outputs.myceliumIps as string[];
    expect(ips).toHaveLength(3);
    ips.forEach((ip, i) => {
      const seed = String(byName(`m${i + 1}`).myceliumSeed);
      expect(seed).toMatch(/^[0-9a-f]{12}$/);
      expect(ip).toBe(myceliumIp(myceliumPrefix(keys[String(i + 1)]), seed));
      expect(parseInt(ip.split(':')[0], 16) >> 9).toBe(0x400 >> 9); // in 400::/7
    });
    // one /64 per node's network resource
    expect(new Set(ips.map((ip) => ip.split(':').slice(0, 4).join(':'))).size).toBe(3);
  });

  describeWithTools(['runc'], { root: true })('machines on their mycelium IPs', () => {
    it('each machine fetches the pages of the machines on the other nodes over their mycelium IPs', async () => {
      if (grid.backend !== 'linux') throw new Error(`the shared e2e grid runs the ${grid.backend} backend; machines need linux (root)`);
      const ips = up.outputs.myceliumIps as string[];
      const ids = up.outputs.machineIds as string[];
      const machines = ids.map((id, i) => gridMachine(grid, i + 1, id));
      machines.forEach((m, i) => {
        expect(m.status()).toBe('running');
        expect(m.exec('/sbin/ip', '-6', 'addr', 'show', 'dev', 'eth0')).toContain(`${ips[i]}/64`);
      });
      for (const [i, from] of machines.entries()) {
        for (const [j, ip] of ips.entries()) {
          if (i === j) continue;
          // busybox nc speaks the request (the base flist's static busybox wget crashes inside containers)
          const answer = await execUntilOk(from, ['/bin/sh', '-c', `printf 'GET /who.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 8080`]);
          expect(answer).toMatch(/^HTTP\/1\.[01] 200 /);
          expect(answer.trim().split('\n').pop()).toBe(`served by m${j + 1}`);
        }
      }
    });
  });
});
