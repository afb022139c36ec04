/**
 * Every workload kind: its data stream (zos-protocol.md §2.4), capacity (§1.5) and the formatting rules that
 * differ from the TS SDK (§2.9). One row per rule; the expected text is what Go's `Challenge` writes.
 */
import { ChallengeWriter } from '../challenge-writer';
import { deploymentCapacity, hashDeployment, kindOf, minRootSize, WORKLOAD_KINDS, WORKLOAD_TYPES, type Deployment, type WorkloadType } from '../index';
import { makeDeployment, vmData } from '../../../test/fixtures/zos/deployments';

/** The data stream of one workload of `type` with raw `data`. */
function stream(type: WorkloadType, data: unknown): string {
  const kind = kindOf(type);
  const w = new ChallengeWriter();
  kind.challenge(kind.data.parse(data), w);
  return w.toString();
}

const GIB = 1024n ** 3n;
const MIB = 1024n ** 2n;

describe('WORKLOAD_KINDS', () => {
  it('lists the 13 ZOS types, each under its own wire name', () => {
    expect(WORKLOAD_TYPES.sort()).toEqual(
      ['gateway-fqdn-proxy', 'gateway-name-proxy', 'ip', 'ipv4', 'network', 'network-light', 'qsfs', 'volume', 'zdb', 'zlogs', 'zmachine', 'zmachine-light', 'zmount'].sort(),
    );
    for (const t of WORKLOAD_TYPES) expect(WORKLOAD_KINDS[t].type).toBe(t);
  });
  it('marks only network and network-light sharable', () => {
    expect(WORKLOAD_TYPES.filter((t) => WORKLOAD_KINDS[t].sharable).sort()).toEqual(['network', 'network-light']);
  });
  it('allows in-place updates only for zmount, volume, network, network-light, zdb, qsfs', () => {
    expect(WORKLOAD_TYPES.filter((t) => WORKLOAD_KINDS[t].update.supported).sort()).toEqual(['network', 'network-light', 'qsfs', 'volume', 'zdb', 'zmount'].sort());
  });
});

describe('data streams', () => {
  const mycelium = { hex_key: 'AB'.repeat(32), peers: [] };
  it.each<[string, WorkloadType, unknown, string]>([
    ['zmount: size', 'zmount', { size: 10737418240 }, '10737418240'],
    ['volume: size', 'volume', { size: 1 }, '1'],
    ['zdb: size mode password public', 'zdb', { size: 5, mode: 'seq', password: 'p', public: false }, '5seqpfalse'],
    ['ip: v4 then v6 (v6 hashed)', 'ip', { v4: false, v6: true }, 'falsetrue'],
    ['ipv4: nothing', 'ipv4', {}, ''],
    ['zlogs: zmachine output', 'zlogs', { zmachine: 'vm', output: 'ws://1.2.3.4:80' }, 'vmws://1.2.3.4:80'],
    ['network without mycelium writes no key', 'network', { ip_range: '10.0.0.0/16', subnet: '10.0.1.0/24', wireguard_private_key: 'k', wireguard_listen_port: 1 }, '10.0.0.0/1610.0.1.0/24k1'],
    ['network with mycelium: lowercase %x key', 'network', { ip_range: '10.0.0.0/16', subnet: '10.0.1.0/24', wireguard_private_key: 'k', mycelium }, `10.0.0.0/1610.0.1.0/24k0${'ab'.repeat(32)}`],
    ['network with empty ip_range writes <nil>', 'network', { subnet: '10.0.1.0/24', wireguard_private_key: 'k' }, '<nil>10.0.1.0/24k0'],
    [
      'network peer: key endpoint subnet allowed_ips',
      'network',
      {
        ip_range: '10.0.0.0/16',
        subnet: '10.0.1.0/24',
        wireguard_private_key: 'k',
        peers: [{ subnet: '10.0.2.0/24', wireguard_public_key: 'P', allowed_ips: ['10.0.2.0/24', '100.64.0.2/32'], endpoint: '[2A02::1]:5' }],
      },
      '10.0.0.0/1610.0.1.0/24k0P[2A02::1]:510.0.2.0/2410.0.2.0/24100.64.0.2/32',
    ],
    ['network-light: mycelium always, <nil> ip_range', 'network-light', { subnet: '10.0.1.0/24', mycelium: { hex_key: '0A' } }, '<nil>10.0.1.0/2400a'],
    ['network-light without mycelium writes nothing for it', 'network-light', { subnet: '10.0.1.0/24' }, '<nil>10.0.1.0/240'],
    [
      'gateway-name-proxy: name passthrough backends network',
      'gateway-name-proxy',
      { name: 'app', tls_passthrough: false, backends: ['http://1.2.3.4:80'], network: 'net1' },
      'appfalsehttp://1.2.3.4:80net1',
    ],
    ['gateway-name-proxy: absent network writes nothing', 'gateway-name-proxy', { name: 'app', backends: ['http://1.2.3.4'] }, 'appfalsehttp://1.2.3.4'],
    ['gateway-name-proxy: present empty network writes nothing', 'gateway-name-proxy', { name: 'app', backends: ['a'], network: '' }, 'appfalsea'],
    ['gateway-fqdn-proxy: fqdn passthrough backends', 'gateway-fqdn-proxy', { fqdn: 'a.b.com', tls_passthrough: true, backends: ['1.2.3.4:443'] }, 'a.b.comtrue1.2.3.4:443'],
    [
      'qsfs: cache, shards, keys lowercase',
      'qsfs',
      {
        cache: 1,
        config: {
          minimal_shards: 2,
          expected_shards: 4,
          encryption: { algorithm: 'AES', key: 'ABCD' },
          meta: { type: 'zdb', config: { prefix: 'p', encryption: { algorithm: 'AES', key: 'EF' }, backends: [{ address: 'a', namespace: 'n', password: 'w' }] } },
          groups: [{ backends: [{ address: 'b', namespace: 'm', password: 'x' }] }],
          compression: { algorithm: 'snappy' },
        },
      },
      '124000AESabcdzdbpAESefanwbmxsnappy',
    ],
  ])('%s', (_rule, type, data, expected) => {
    expect(stream(type, data)).toBe(expected);
  });
});

describe('zmachine stream rules', () => {
  it('writes flist, public_ip, planetary, interface network + Go IP, mycelium network + lowercase seed', () => {
    expect(stream('zmachine', vmData({}, { public_ip: 'pub', planetary: true, interfaces: [{ network: 'n', ip: '::ffff:10.0.0.2' }], mycelium: { Network: 'n', hex_seed: 'AABBCCDDEEFF' } }))).toBe(
      'https://hub.grid.tf/x.flistpubtruen10.0.0.2naabbccddeeff011073741824',
    );
  });
  it('sorts env keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, but after it in UTF-16 (0xFF21 > 0xD83D).
    const env = { '\u{1F600}': '2', '\uFF21': '1', B: '0', a: '3' };
    expect(stream('zmachine', vmData({ env }))).toBe(`https://hub.grid.tf/x.flistfalsenet110.20.2.2011073741824B=0a=3\uFF21=1\u{1F600}=2`);
  });
  it('writes GPUs once, after env (not inside the env loop as the TS SDK does)', () => {
    expect(stream('zmachine', vmData({ env: { A: '1', B: '2' }, gpu: ['g1', 'g2'] }))).toMatch(/A=1B=2g1g2$/);
    expect(stream('zmachine', vmData({ env: {}, gpu: ['g1'] }))).toMatch(/011073741824g1$/);
  });
  it('does not hash corex', () => {
    expect(stream('zmachine', vmData({ corex: true }))).toBe(stream('zmachine', vmData({ corex: false })));
  });
  it('treats null env and null gpu like empty ones', () => {
    expect(stream('zmachine', vmData({ env: null, gpu: null }))).toBe(stream('zmachine', vmData({ env: {}, gpu: [] })));
  });
  it('writes mounts name + mountpoint in order', () => {
    expect(
      stream(
        'zmachine',
        vmData({
          mounts: [
            { name: 'a', mountpoint: '/x' },
            { name: 'b', mountpoint: '/y' },
          ],
        }),
      ),
    ).toMatch(/a\/xb\/y$/);
  });
  it('zmachine-light writes no public_ip or planetary', () => {
    expect(stream('zmachine-light', { flist: 'f', network: { interfaces: [{ network: 'n', ip: '10.0.0.2' }] }, compute_capacity: { cpu: 1, memory: 5 } })).toBe('fn10.0.0.2015');
  });
  it('writes an empty interface IP as <nil>', () => {
    expect(stream('zmachine-light', { flist: 'f', network: { interfaces: [{ network: 'n' }] } })).toBe('fn<nil>000');
  });
});

describe('signature requirement stream', () => {
  const base = [{ name: 'd', type: 'zmount', data: { size: 1 } }];
  it('hashes signature_style (polka-wallet differs from "")', () => {
    const a = makeDeployment(base);
    const b = makeDeployment(base, { signature_requirement: { requests: [{ twin_id: 7, required: false, weight: 1 }], weight_required: 1, signature_style: 'polka-wallet' } });
    expect(hashDeployment(a)).not.toBe(hashDeployment(b));
  });
  it('does not hash contract_id, signatures or results', () => {
    const a = makeDeployment(base);
    const b = makeDeployment(base, {
      contract_id: 99,
      signature_requirement: { requests: [{ twin_id: 7, required: false, weight: 1 }], weight_required: 1, signatures: [{ twin_id: 7, signature: 'ab', signature_type: 'ed25519' }] },
    });
    b.workloads[0].result = { created: 5, state: 'ok', message: 'm', data: { volume_id: 'x' } };
    expect(hashDeployment(a)).toBe(hashDeployment(b));
  });
});

describe('capacity', () => {
  it.each<[string, WorkloadType, unknown, Partial<Record<'cru' | 'sru' | 'hru' | 'mru' | 'ipv4u', bigint>>]>([
    ['zmount → SRU', 'zmount', { size: 10 }, { sru: 10n }],
    ['volume → SRU', 'volume', { size: 10 }, { sru: 10n }],
    ['zdb → HRU', 'zdb', { size: 10, mode: 'user' }, { hru: 10n }],
    ['ip v4 → 1 IPV4U', 'ip', { v4: true }, { ipv4u: 1n }],
    ['ip v6 only → none', 'ip', { v6: true }, {}],
    ['ipv4 → 1 IPV4U', 'ipv4', {}, { ipv4u: 1n }],
    ['qsfs → 1 CRU, 1 GiB MRU, cache SRU', 'qsfs', { cache: 7 }, { cru: 1n, mru: GIB, sru: 7n }],
    ['zmachine small → min root 500 MiB', 'zmachine', vmData({ compute_capacity: { cpu: 2, memory: 2 * 1024 ** 3 } }), { cru: 2n, mru: 2n * GIB, sru: 500n * MIB }],
    ['zmachine cu ≥ 1 → min root 2 GiB', 'zmachine', vmData({ compute_capacity: { cpu: 4, memory: 2 * 1024 ** 3 } }), { cru: 4n, mru: 2n * GIB, sru: 2n * GIB }],
    ['zmachine explicit size above min', 'zmachine', vmData({ size: 3 * 1024 ** 3 }), { cru: 1n, mru: GIB, sru: 3n * GIB }],
    ['network → none', 'network', {}, {}],
    ['gateway → none', 'gateway-name-proxy', {}, {}],
  ])('%s', (_rule, type, data, expected) => {
    const kind = kindOf(type);
    expect(kind.capacity(kind.data.parse(data))).toEqual({ cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n, ...expected });
  });

  it('minRootSize uses integer division of cpu × memory by 8 GiB', () => {
    expect(minRootSize(1, 8n * GIB - 1n)).toBe(500n * MIB);
    expect(minRootSize(1, 8n * GIB)).toBe(2n * GIB);
    expect(minRootSize(0, 100n * GIB)).toBe(500n * MIB);
  });

  it('sums a deployment, and only ok/paused workloads when asked', () => {
    const d = makeDeployment([
      { name: 'a', type: 'zmount', data: { size: 5 } },
      { name: 'b', type: 'zdb', data: { size: 3, mode: 'user' } },
      { name: 'c', type: 'ip', data: { v4: true } },
    ]);
    expect(deploymentCapacity(d)).toEqual({ cru: 0n, sru: 5n, hru: 3n, mru: 0n, ipv4u: 1n });
    d.workloads[1].result = { ...d.workloads[1].result, state: 'ok' };
    d.workloads[2].result = { ...d.workloads[2].result, state: 'paused' };
    expect(deploymentCapacity(d, { activeOnly: true })).toEqual({ cru: 0n, sru: 0n, hru: 3n, mru: 0n, ipv4u: 1n });
  });
});

describe('hashing a hand-built deployment', () => {
  it("fails on a type the node does not know, with the node's text", () => {
    const d = makeDeployment([{ name: 'd', type: 'zmount', data: { size: 1 } }]);
    const bad = { ...d, workloads: [{ ...d.workloads[0], type: 'vm' }] } as unknown as Deployment;
    expect(() => hashDeployment(bad)).toThrow("invalid reservation type 'vm'");
  });
});
