/**
 * The deployments of test/fixtures/zos/deployment-vectors.json, defined by us (scripts/gen-test-vectors.ts
 * computes their expected challenge, hash and signatures with ThreeFold's own grid_client).
 *
 * Every value is written in the canonical form a node would echo (lowercase compressed IPv6, lowercase hex,
 * integers below 2^53): grid_client concatenates strings as given, while zosbase re-formats IPs, hex and absent
 * fields (`<nil>`), so inputs outside the canonical form would test grid_client's shortcuts, not the protocol.
 * No vector sets `signature_style`: grid_client 2.9.2 has no such field (zosbase appends it to the challenge).
 * No `ipv4` workload: grid_client refuses its empty data. Values also pass grid_client's own input checks
 * (flist URLs, disks of at least 256 MiB, zdb passwords).
 * @module
 */

/** One workload in wire form. */
export interface VectorWorkload {
  version: number;
  name: string;
  type: string;
  metadata: string;
  description: string;
  data: Record<string, unknown>;
}

export interface VectorDeployment {
  version: number;
  twin_id: number;
  contract_id: number;
  metadata: string;
  description: string;
  expiration: number;
  signature_requirement: {
    requests: { twin_id: number; required: boolean; weight: number }[];
    weight_required: number;
    signatures: never[];
    signature_style?: '';
  };
  workloads: VectorWorkload[];
}

const wl = (name: string, type: string, data: Record<string, unknown>, over: Partial<VectorWorkload> = {}): VectorWorkload => ({
  version: 0,
  name,
  type,
  metadata: '',
  description: '',
  data,
  ...over,
});

const AES_KEY = 'a3c1f0d27b9e4c5d8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f';

/** Vector names are what tests look up; `vectors[0]` is the single-disk one. */
export const VECTOR_DEPLOYMENTS: { name: string; deployment: VectorDeployment }[] = [
  {
    name: 'single_disk',
    deployment: {
      version: 0,
      twin_id: 11,
      contract_id: 0,
      metadata: '',
      description: '',
      expiration: 0,
      signature_requirement: { requests: [{ twin_id: 11, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: '' },
      workloads: [wl('scratch', 'zmount', { size: 5368709120 }, { description: 'scratch disk' })],
    },
  },
  {
    name: 'every_kind',
    deployment: {
      version: 0,
      twin_id: 23,
      contract_id: 4711,
      metadata: '{"type":"vm","name":"lab","projectName":"pulumi/lab"}',
      description: 'one workload of every kind',
      expiration: 0,
      signature_requirement: { requests: [{ twin_id: 23, required: false, weight: 1 }], weight_required: 1, signatures: [] },
      workloads: [
        wl('labnet', 'network', {
          ip_range: '10.60.0.0/16',
          subnet: '10.60.3.0/24',
          wireguard_private_key: 'cFm1mFz3cVd9y1wqJ5Jxv2mWb6x0h3pQj8lKzYtR1Ww=',
          wireguard_listen_port: 7011,
          peers: [
            {
              subnet: '10.60.4.0/24',
              wireguard_public_key: 'n4Vd1S1qY8oX0c2W3e4R5t6Y7u8I9o0P1a2S3d4F5g8=',
              allowed_ips: ['10.60.4.0/24', '100.64.60.4/32'],
              endpoint: '203.0.113.7:7012',
            },
            {
              subnet: '10.60.5.0/24',
              wireguard_public_key: 'Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq4=',
              allowed_ips: ['10.60.5.0/24', '100.64.60.5/32', '2001:db8:60::/64'],
              endpoint: '[2001:db8::5]:7013',
            },
          ],
          mycelium: { hex_key: '5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', peers: [] },
        }),
        wl('root', 'zmount', { size: 21474836480 }),
        wl('cache', 'volume', { size: 3221225472 }),
        wl('pip', 'ip', { v4: true, v6: true }),
        wl(
          'box',
          'zmachine',
          {
            flist: 'https://hub.example.org/lab/ubuntu-24.04.flist',
            network: {
              public_ip: 'pip',
              planetary: true,
              mycelium: { network: 'labnet', hex_seed: 'a1b2c3d4e5f6' },
              interfaces: [{ network: 'labnet', ip: '10.60.3.9' }],
            },
            size: 4294967296,
            compute_capacity: { cpu: 4, memory: 8589934592 },
            mounts: [
              { name: 'root', mountpoint: '/srv' },
              { name: 'cache', mountpoint: '/var/cache/app' },
            ],
            entrypoint: '/sbin/zinit init',
            env: { SSH_KEY: 'ssh-ed25519 AAAAC3Nza lab@example', ZONE: 'eu', APP_MODE: 'prod', a_lower: 'x' },
            corex: false,
            gpu: ['0000:41:00.0/10de/2204'],
          },
          { description: 'the lab machine' },
        ),
        wl('boxlogs', 'zlogs', { zmachine: 'box', output: 'redis://10.60.4.2:6379' }),
        wl('kv', 'zdb', { size: 2147483648, mode: 'seq', password: 'p@ss w0rd', public: false }),
        wl('web', 'gateway-name-proxy', { name: 'lab', tls_passthrough: false, backends: ['http://10.60.3.9:8080'], network: 'labnet' }),
        wl('site', 'gateway-fqdn-proxy', { fqdn: 'lab.example.org', tls_passthrough: true, backends: ['198.51.100.20:443', '[2001:db8::20]:443'] }),
        wl('vault', 'qsfs', {
          cache: 2147483648,
          config: {
            minimal_shards: 3,
            expected_shards: 5,
            redundant_groups: 1,
            redundant_nodes: 1,
            max_zdb_data_dir_size: 64,
            encryption: { algorithm: 'AES', key: AES_KEY },
            meta: {
              type: 'zdb',
              config: {
                prefix: 'vaultmeta',
                encryption: { algorithm: 'AES', key: AES_KEY },
                backends: [{ address: '[2001:db8:1::1]:9900', namespace: 'm1', password: 'mp1' }],
              },
            },
            groups: [
              { backends: [{ address: '[2001:db8:1::2]:9900', namespace: 'd1', password: 'dp1' }] },
              {
                backends: [
                  { address: '[2001:db8:1::3]:9900', namespace: 'd2', password: 'dp2' },
                  { address: '[2001:db8:1::4]:9900', namespace: 'd3', password: 'dp3' },
                ],
              },
            ],
            compression: { algorithm: 'snappy' },
          },
        }),
        wl('litenet', 'network-light', {
          ip_range: '10.70.0.0/16',
          subnet: '10.70.1.0/24',
          wireguard_private_key: 'lightkey',
          wireguard_listen_port: 7021,
          peers: [],
          mycelium: { hex_key: '00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff', peers: [] },
        }),
        wl('litebox', 'zmachine-light', {
          flist: 'https://hub.example.org/lab/alpine.flist',
          network: { mycelium: { network: 'litenet', hex_seed: '0a0b0c0d0e0f' }, interfaces: [{ network: 'litenet', ip: '10.70.1.5' }] },
          size: 1073741824,
          compute_capacity: { cpu: 1, memory: 536870912 },
          mounts: [],
          entrypoint: '/bin/sh',
          env: { B_SECOND: '2', A_FIRST: '1' },
        }),
      ],
    },
  },
  {
    name: 'two_signers',
    deployment: {
      version: 2,
      twin_id: 99,
      contract_id: 808,
      metadata: 'méta ✓',
      description: 'zwei Unterzeichner — two signers',
      expiration: 0,
      signature_requirement: {
        requests: [
          { twin_id: 99, required: true, weight: 1 },
          { twin_id: 100, required: false, weight: 2 },
        ],
        weight_required: 3,
        signatures: [],
        signature_style: '',
      },
      workloads: [
        wl('blank', 'zmount', { size: 268435456 }, { version: 2 }),
        wl('ns', 'zdb', { size: 1073741824, mode: 'user', password: 'ns-secret', public: true }, { version: 1, metadata: 'ü' }),
        wl(
          'tiny',
          'zmachine',
          {
            flist: 'https://hub.example.org/lab/tiny.flist',
            network: { public_ip: '', planetary: false, interfaces: [] },
            size: 0,
            compute_capacity: { cpu: 1, memory: 268435456 },
            mounts: [],
            entrypoint: '',
            env: {},
            corex: true,
          },
          { version: 2 },
        ),
      ],
    },
  },
];
