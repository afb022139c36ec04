/**
 * Two nodes' machines reach each other over wireguard-go through their NRs (zos-protocol.md §6.4), and the
 * network re-applies in place. Namespaces only; containers on top are in machine-network.test.ts.
 */
import { execFileSync } from 'child_process';
import { describeWithTools } from '../helpers/require-tools';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { joinLaptop } from './laptop';
import { makeTwoNodeNetwork, pingFrom } from './two-node-network';
import type { TwoNodeNetwork } from './two-node-network';

describeWithTools(['ip', 'wireguard-go', 'wg', 'ping', 'nsenter'], { root: true })('private network across two nodes', () => {
  let grid: TwoNodeNetwork;
  beforeAll(async () => {
    grid = await makeTwoNodeNetwork('wg');
  });
  afterAll(async () => {
    await grid?.teardown();
  });

  it('lets a machine on node A ping a machine on node B over WireGuard, and the NR wg addresses too', async () => {
    const [a, b] = grid.nodes;
    const ma = await a.backend.attach({ netId: grid.netId, machine: '7-1-a', ip: '10.20.2.2' });
    const mb = await b.backend.attach({ netId: grid.netId, machine: '7-2-b', ip: '10.20.3.2' });
    expect(await pingFrom(ma.netns, '10.20.3.2')).toBe(true);
    expect(await pingFrom(mb.netns, '10.20.2.2')).toBe(true);
    expect(await pingFrom(ma.netns, '100.64.20.3')).toBe(true);
    const shown = execFileSync('wg', ['show', 'all', 'latest-handshakes'], { encoding: 'utf8' });
    const ours = shown.split('\n').filter((l) => l.startsWith(`${a.prefix}w`));
    expect(ours).toHaveLength(1);
    expect(Number(ours[0].split('\t')[2])).toBeGreaterThan(0);
  });

  it('stops routing when a re-apply drops the peer, and routes again when it is back', async () => {
    const [a] = grid.nodes;
    const ma = await a.backend.attach({ netId: grid.netId, machine: '7-1-a', ip: '10.20.2.2' });
    await a.backend.apply({ ...a.config, peers: [] });
    expect(await pingFrom(ma.netns, '10.20.3.2', 2)).toBe(false);
    await a.backend.apply(a.config);
    expect(await pingFrom(ma.netns, '10.20.3.2')).toBe(true);
    expect(await a.backend.listPrivateIps(grid.netId)).toEqual(['10.20.2.2']);
  });

  it('lets a laptop with a wg-quick access config reach machines on both nodes through the access node', async () => {
    const [a, b] = grid.nodes;
    const lap = wgKeyPair();
    const access = { subnet: '10.20.4.0/24', wgPublicKey: lap.publicKey, allowedIps: ['10.20.4.0/24', '100.64.20.4/32'], endpoint: '' };
    await a.backend.apply({ ...a.config, peers: [...a.config.peers, access] });
    // node B routes the laptop's addresses through A (TS: hidden peers' subnets are added to the access node's allowed_ips)
    await b.backend.apply({ ...b.config, peers: b.config.peers.map((p) => ({ ...p, allowedIps: [...p.allowedIps, '10.20.4.0/24', '100.64.20.4/32'] })) });
    const ma = await a.backend.attach({ netId: grid.netId, machine: '7-1-a', ip: '10.20.2.2' });
    const mb = await b.backend.attach({ netId: grid.netId, machine: '7-2-b', ip: '10.20.3.2' });
    const aPub = execFileSync('wg', ['pubkey'], { input: a.config.wgPrivateKey, encoding: 'utf8' }).trim();
    const conf = [
      '[Interface]',
      `Address = 100.64.20.4/32`,
      `PrivateKey = ${lap.privateKey}`,
      '[Peer]',
      `PublicKey = ${aPub}`,
      'AllowedIPs = 10.20.0.0/16, 100.64.0.0/16',
      `Endpoint = 192.168.78.1:${a.config.wgListenPort}`,
      'PersistentKeepalive = 25',
    ].join('\n');
    const laptop = await joinLaptop(`${grid.tag}-lap`, a.hostNetns, `${grid.tag}lw`, conf, grid.dir);
    try {
      expect(await pingFrom(laptop.netns, '10.20.2.2')).toBe(true);
      expect(await pingFrom(laptop.netns, '10.20.3.2')).toBe(true);
      expect(await pingFrom(mb.netns, '100.64.20.4')).toBe(true);
      expect(ma.ip).toBe('10.20.2.2');
    } finally {
      await laptop.remove();
    }
  });
});
