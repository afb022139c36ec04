/** wg-quick parsing and `wg-quick up` in a namespace (laptop-wireguard.ts; zos-protocol.md §6.4 access peer). */
import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { wgKeyPair, wgQuickConfig } from '../../provider/resources/network';
import { describeWithTools } from '../../test/helpers/require-tools';
import { WG_SOCKET_DIR, joinWgQuick, parseWgQuick, wgSetconfText, type WgQuickLink } from './laptop-wireguard';

const A = wgKeyPair();
const B = wgKeyPair();

function conf(...lines: string[]): string {
  return lines.join('\n');
}

describe('parseWgQuick', () => {
  it('reads the access config the Network resource generates', () => {
    const text = wgQuickConfig({ accessSubnet: '10.30.5.0/24', privateKey: A.privateKey, nodePublicKey: B.publicKey, endpoint: '198.18.0.11:4567', ipRange: '10.30.0.0/16' });
    expect(parseWgQuick(text)).toEqual({
      privateKey: A.privateKey,
      addresses: ['100.64.30.5/32'],
      dns: [],
      peers: [{ publicKey: B.publicKey, allowedIps: ['10.30.0.0/16', '100.64.0.0/16'], endpoint: '198.18.0.11:4567', persistentKeepalive: 25 }],
    });
  });

  it('takes comments, any key case, lists over several lines, IPv6 endpoints and several peers', () => {
    const text = conf(
      '# laptop',
      '[Interface]',
      `privatekey = ${A.privateKey}  # secret`,
      'Address = 100.64.30.5, fd00::5/64',
      'ListenPort = 51820',
      'MTU = 1420',
      'DNS = 10.30.2.1',
      '[Peer]',
      `PublicKey = ${B.publicKey}`,
      'AllowedIPs = 10.30.0.0/16',
      'AllowedIPs = 100.64.0.0/16',
      'Endpoint = [2001:db8::1]:51820',
      'PersistentKeepalive = off',
      '[Peer]',
      `PublicKey = ${A.publicKey}`,
      'AllowedIPs = 10.40.0.0/16',
    );
    const c = parseWgQuick(text);
    expect(c.addresses).toEqual(['100.64.30.5', 'fd00::5/64']);
    expect([c.listenPort, c.mtu, c.dns]).toEqual([51820, 1420, ['10.30.2.1']]);
    expect(c.peers.map((p) => [p.allowedIps, p.endpoint, p.persistentKeepalive])).toEqual([
      [['10.30.0.0/16', '100.64.0.0/16'], '[2001:db8::1]:51820', 0],
      [['10.40.0.0/16'], undefined, undefined],
    ]);
  });

  const iface = ['[Interface]', `PrivateKey = ${A.privateKey}`, 'Address = 100.64.30.5/32'];
  const peer = ['[Peer]', `PublicKey = ${B.publicKey}`, 'AllowedIPs = 10.30.0.0/16'];
  it.each([
    ['a key before any section', conf(`PrivateKey = ${A.privateKey}`, ...iface, ...peer), 'wg-quick line 1: PrivateKey comes before [Interface]'],
    ['an unknown section', conf(...iface, '[Peers]', ...peer.slice(1)), 'wg-quick line 4: unknown section [Peers]; use [Interface] or [Peer]'],
    ['a line that is not Key = value', conf(...iface, 'Address', ...peer), 'wg-quick line 4: "Address" is not "Key = value"'],
    ['a peer key in [Interface]', conf(...iface, 'Endpoint = 1.2.3.4:5', ...peer), 'wg-quick line 4: Endpoint does not belong in [Interface]'],
    ['hook commands', conf(...iface, 'PostUp = iptables -F', ...peer), 'wg-quick line 4: PostUp is not supported by the laptop helper'],
    ['a port that is not a number', conf(...iface, 'ListenPort = x', ...peer), 'wg-quick line 4: ListenPort "x" is not a number'],
    ['a bad private key', conf('[Interface]', 'PrivateKey = abc', 'Address = 100.64.30.5/32', ...peer), 'wg-quick privateKey: is not a base64 WireGuard key (32 bytes)'],
    ['no address', conf(iface[0], iface[1], ...peer), 'wg-quick addresses: needs an Address'],
    ['no peer', conf(...iface), 'wg-quick peers: needs a [Peer]'],
    ['a peer without AllowedIPs', conf(...iface, ...peer.slice(0, 2)), 'wg-quick peers.0.allowedIps: needs AllowedIPs'],
    ['an endpoint without a port', conf(...iface, ...peer, 'Endpoint = 198.18.0.11'), 'wg-quick peers.0.endpoint: is not host:port ([v6]:port for IPv6)'],
    [
      'a default route',
      conf(...iface, '[Peer]', `PublicKey = ${B.publicKey}`, 'AllowedIPs = 0.0.0.0/0'),
      "wg-quick AllowedIPs 0.0.0.0/0: a default route needs wg-quick's policy routing, which the laptop helper does not do",
    ],
  ])('refuses %s', (_rule, text, message) => {
    expect(() => parseWgQuick(text)).toThrow(message);
  });

  it('writes the wg(8) part without addresses, MTU or DNS', () => {
    const c = parseWgQuick(conf(...iface, 'MTU = 1420', 'DNS = 1.1.1.1', ...peer, 'Endpoint = 198.18.0.11:4567', 'PersistentKeepalive = 25'));
    expect(wgSetconfText(c)).toBe(
      conf('[Interface]', `PrivateKey = ${A.privateKey}`, '', '[Peer]', `PublicKey = ${B.publicKey}`, 'AllowedIPs = 10.30.0.0/16', 'Endpoint = 198.18.0.11:4567', 'PersistentKeepalive = 25') + '\n',
    );
  });
});

describeWithTools(['ip', 'wireguard-go', 'wg', 'ping', 'nsenter'], { root: true })('joinWgQuick', () => {
  const tag = `tfq${process.pid % 100000}`;
  const ns = { a: `${tag}-a`, b: `${tag}-b` };
  let dir: string;
  const links: WgQuickLink[] = [];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tfg-wgquick-'));
    for (const n of [ns.a, ns.b]) {
      ip('netns', 'add', n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'u0', 'netns', ns.a, 'type', 'veth', 'peer', 'name', 'u0', 'netns', ns.b);
    ip('-n', ns.a, 'addr', 'add', '192.168.77.1/24', 'dev', 'u0');
    ip('-n', ns.b, 'addr', 'add', '192.168.77.2/24', 'dev', 'u0');
    ip('-n', ns.a, 'link', 'set', 'u0', 'up');
    ip('-n', ns.b, 'link', 'set', 'u0', 'up');
  });
  afterAll(async () => {
    for (const l of links) await l.close();
    for (const n of [ns.a, ns.b]) ip('netns', 'del', n);
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings two wg-quick files up in two namespaces that then ping over the tunnel, and close leaves no socket', async () => {
    const a = await joinWgQuick(
      ns.a,
      `${tag}a`,
      conf('[Interface]', `PrivateKey = ${A.privateKey}`, 'Address = 10.99.0.1/32', 'ListenPort = 41001', 'MTU = 1400', '[Peer]', `PublicKey = ${B.publicKey}`, 'AllowedIPs = 10.99.0.2/32'),
      { dir },
    );
    links.push(a);
    const b = await joinWgQuick(
      ns.b,
      `${tag}b`,
      conf('[Interface]', `PrivateKey = ${B.privateKey}`, 'Address = 10.99.0.2/32', '[Peer]', `PublicKey = ${A.publicKey}`, 'AllowedIPs = 10.99.0.1/32', 'Endpoint = 192.168.77.1:41001'),
      { dir },
    );
    links.push(b);
    expect(execFileSync('ip', ['-n', ns.b, 'route', 'get', '10.99.0.1'], { encoding: 'utf8' })).toContain(`dev ${tag}b`);
    expect(execFileSync('ip', ['-n', ns.a, 'link', 'show', `${tag}a`], { encoding: 'utf8' })).toContain('mtu 1400');
    // b knows a's endpoint and dials it; a learns b's endpoint from the handshake and answers
    const out = execFileSync('ip', ['netns', 'exec', ns.b, 'ping', '-c', '2', '-W', '3', '10.99.0.1'], { encoding: 'utf8' });
    expect(out).toContain('bytes from 10.99.0.1');
    expect(readdirSync(dir).sort()).toEqual([`${tag}a.log`, `${tag}b.log`]);
    await b.close();
    expect(existsSync(path.join(WG_SOCKET_DIR, `${tag}b.sock`))).toBe(false);
    expect(() => execFileSync('kill', ['-0', String(b.pid)], { stdio: 'pipe' })).toThrow();
  });

  it('refuses an interface name that already has a socket on this machine, and starts nothing', async () => {
    const taken = links[0];
    await expect(joinWgQuick(ns.b, taken.ifname, taken.config, { dir })).rejects.toThrow(`wireguard interface ${taken.ifname} already exists on this machine`);
  });
});
