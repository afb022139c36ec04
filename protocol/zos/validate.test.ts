/** The node's synchronous validation (zos-protocol.md §1.2, §1.5, §3.2): one row per error, the node's exact text. */
import { isValidName, nameError, validateDeployment, validateDeploymentAt } from './index';
import { makeDeployment, NET1, vmData, type RawWorkload } from '../../test/fixtures/zos/deployments';

const NET_DATA = NET1.data;
const vm = (over: Record<string, unknown> = {}, network: Record<string, unknown> = {}): RawWorkload => ({
  name: 'vm',
  type: 'zmachine',
  data: vmData(over, network),
});
const light = (over: Record<string, unknown> = {}): RawWorkload => ({
  name: 'vml',
  type: 'zmachine-light',
  data: { ...vmData(over), network: { interfaces: [{ network: 'nl', ip: '10.1.5.2' }], ...((over.network as object) ?? {}) } },
});
const gw = (data: Record<string, unknown>): RawWorkload => ({ name: 'gw', type: 'gateway-name-proxy', data: { name: 'app', tls_passthrough: false, ...data } });
const fq = (data: Record<string, unknown>): RawWorkload => ({ name: 'gw', type: 'gateway-fqdn-proxy', data: { fqdn: 'a.example.com', tls_passthrough: true, ...data } });
const myc = { hex_key: '11'.repeat(32), peers: [] };

describe('workload names', () => {
  it.each([
    ['', 'name cannot be empty'],
    ['a'.repeat(37), 'name cannot exceed 36 characters'],
    ['my-disk', 'unsupported character in workload name'],
    ['disk 1', 'unsupported character in workload name'],
    ['ygg', "invalid name 'ygg' is reserved"],
  ])('refuses %j: %s', (name, text) => {
    expect(nameError(name)).toBe(text);
    expect(isValidName(name)).toBe(false);
    expect(validateDeployment(makeDeployment([{ name, type: 'zmount', data: { size: 1 } }]))).toBe(`name '${name}' is invalid: ${text}`);
  });
  it('accepts letters, digits and underscores up to 36 characters', () => {
    expect(isValidName('a'.repeat(36))).toBe(true);
    expect(isValidName('Disk_01')).toBe(true);
  });
});

describe('Deployment.Valid()', () => {
  it.each<[string, RawWorkload[], Record<string, unknown>, string]>([
    [
      'workload version above deployment version',
      [{ name: 'd', type: 'zmount', data: { size: 1 }, version: 2 }],
      { version: 1 },
      "workload 'd' version '2' cannot be higher than deployment version '1'",
    ],
    [
      'duplicate names',
      [
        { name: 'd', type: 'zmount', data: { size: 1 } },
        { name: 'd', type: 'volume', data: { size: 1 } },
      ],
      {},
      "multiple workloads with the same name 'd'",
    ],
  ])('%s', (_rule, workloads, over, text) => {
    expect(validateDeployment(makeDeployment(workloads, over))).toBe(text);
  });

  it('checks workloads in array order: the first failing one wins', () => {
    const d = makeDeployment([
      { name: 'a', type: 'zmount', data: { size: 0 } },
      { name: 'b', type: 'zdb', data: { size: 0, mode: 'user' } },
    ]);
    expect(validateDeploymentAt(d)).toEqual({ message: 'invalid size', path: ['workloads', 0, 'data'] });
  });

  it('accepts the valid deployments used across the tests', () => {
    expect(validateDeployment(makeDeployment([NET1, vm()]))).toBeUndefined();
  });
});

describe('type rules', () => {
  it.each<[string, RawWorkload[], string]>([
    ['zmount size 0', [{ name: 'd', type: 'zmount', data: { size: 0 } }], 'invalid size'],
    ['volume size 0', [{ name: 'd', type: 'volume', data: {} }], 'invalid size'],
    ['zdb size 0', [{ name: 'z', type: 'zdb', data: { size: 0, mode: 'user' } }], 'invalid size'],
    ['zdb bad mode', [{ name: 'z', type: 'zdb', data: { size: 1, mode: 'USER' } }], 'invalid mode'],
    ['ip with no selection', [{ name: 'p', type: 'ip', data: { v4: false, v6: false } }], 'public ip workload with no selections'],
    ['network without ip_range', [{ name: 'n', type: 'network', data: { ...NET_DATA, ip_range: '' } }], 'network IP range cannot be empty'],
    ['network without subnet', [{ name: 'n', type: 'network', data: { ...NET_DATA, subnet: '' } }], 'network resource subnet cannot empty'],
    ['network without private key', [{ name: 'n', type: 'network', data: { ...NET_DATA, wireguard_private_key: '' } }], 'network resource wireguard private key cannot empty'],
    ['peer without subnet', [{ name: 'n', type: 'network', data: { ...NET_DATA, peers: [{ wireguard_public_key: 'p', allowed_ips: ['10.0.0.0/24'] }] } }], 'peer wireguard subnet cannot empty'],
    [
      'peer without allowed IPs',
      [{ name: 'n', type: 'network', data: { ...NET_DATA, peers: [{ subnet: '10.0.3.0/24', wireguard_public_key: 'p', allowed_ips: [] }] } }],
      'peer wireguard allowedIPs cannot empty',
    ],
    ['peer without public key', [{ name: 'n', type: 'network', data: { ...NET_DATA, peers: [{ subnet: '10.0.3.0/24', allowed_ips: ['10.0.3.0/24'] }] } }], 'peer wireguard public key cannot empty'],
    ['network mycelium key not 32 bytes', [{ name: 'n', type: 'network', data: { ...NET_DATA, mycelium: { hex_key: 'abcd' } } }], 'invalid mycelium key length, expected 32'],
    ['network mycelium peers', [{ name: 'n', type: 'network', data: { ...NET_DATA, mycelium: { ...myc, peers: ['tcp://1.2.3.4:9651'] } } }], 'user defined peers list is not supported right now'],
    ['network-light without subnet', [{ name: 'nl', type: 'network-light', data: { mycelium: myc } }], 'network resource subnet cannot empty'],
    ['network-light without mycelium (mandatory)', [{ name: 'nl', type: 'network-light', data: { subnet: '10.1.5.0/24' } }], 'invalid mycelium key length, expected 32'],
    [
      'zmachine with two interfaces',
      [
        NET1,
        vm(
          {},
          {
            interfaces: [
              { network: 'net1', ip: '10.20.2.2' },
              { network: 'net1', ip: '10.20.2.3' },
            ],
          },
        ),
      ],
      'only one network private network is supported at the moment',
    ],
    ['zmachine with no interface', [vm({}, { interfaces: [] })], 'only one network private network is supported at the moment'],
    ['zmachine interface without IP', [vm({}, { interfaces: [{ network: 'net1' }] })], 'invalid IP'],
    ['zmachine cpu 0', [vm({ compute_capacity: { cpu: 0, memory: 1073741824 } })], "cpu capacity can't be 0"],
    ['zmachine memory below 250 MiB', [vm({ compute_capacity: { cpu: 1, memory: 262143999 } })], "mem capacity can't be less that 250M"],
    ['zmachine root below the minimum', [vm({ size: 1024 })], "disk size can't be less that 524288000. Set to 0 for minimum"],
    ['zmachine root below the 2 GiB minimum', [vm({ size: 1073741824, compute_capacity: { cpu: 8, memory: 1073741824 } })], "disk size can't be less that 2147483648. Set to 0 for minimum"],
    ['zmachine public ip missing', [vm({}, { public_ip: 'pub' })], 'public ip is not found'],
    [
      'zmachine public ip shared by two vms',
      [{ name: 'pub', type: 'ip', data: { v4: true } }, vm({}, { public_ip: 'pub' }), { ...vm({}, { public_ip: 'pub' }), name: 'vm2' }],
      'public ip is assigned to multiple vms',
    ],
    ['zmachine reserved network name ygg', [vm({}, { interfaces: [{ network: 'ygg', ip: '10.0.0.2' }] })], "'ygg' is reserved network name"],
    ['zmachine reserved network name pub', [vm({}, { interfaces: [{ network: 'pub', ip: '10.0.0.2' }] })], "'pub' is reserved network name"],
    ['zmachine reserved network name mycelium', [vm({}, { interfaces: [{ network: 'mycelium', ip: '10.0.0.2' }] })], "'mycelium' is reserved network name"],
    ['zmachine mycelium seed not 6 bytes', [vm({}, { mycelium: { network: 'net1', hex_seed: 'aabb' } })], 'invalid mycelium seed length expected 6 bytes'],
    ['zmachine-light memory', [light({ compute_capacity: { cpu: 1, memory: 1 } })], "mem capacity can't be less that 250M"],
    ['zmachine-light mycelium seed', [light({ network: { mycelium: { network: 'nl', hex_seed: '01' } } })], 'invalid mycelium seed length expected 6 bytes'],
    ['zlogs without its zmachine', [{ name: 'l', type: 'zlogs', data: { zmachine: 'vm', output: 'ws://1.2.3.4' } }], "no zmachine with name 'vm' found"],
    ['zlogs pointing at a zmachine-light', [light(), { name: 'l', type: 'zlogs', data: { zmachine: 'vml', output: 'ws://1.2.3.4' } }], "no zmachine with name 'vml' found"],
    ['zlogs with an unsupported scheme', [vm(), { name: 'l', type: 'zlogs', data: { zmachine: 'vm', output: 'http://1.2.3.4' } }], "invalid output schema 'http' not supported"],
    ['zlogs with no scheme', [vm(), { name: 'l', type: 'zlogs', data: { zmachine: 'vm', output: '1.2.3.4' } }], "invalid output schema '' not supported"],
    ['zlogs with an unparsable url', [vm(), { name: 'l', type: 'zlogs', data: { zmachine: 'vm', output: ':nope' } }], 'invalid url supplied in output: parse ":nope": missing protocol scheme'],
    ['qsfs minimal above expected shards', [{ name: 'q', type: 'qsfs', data: { config: { minimal_shards: 5, expected_shards: 4 } } }], "minimal shards can't be greater than expected shards"],
    ['name proxy bad name', [gw({ name: 'a.b', backends: ['http://1.2.3.4'] })], 'name a.b is invalid'],
    ['name proxy without backends', [gw({ backends: [] })], 'backends list can not be empty'],
    ['name proxy https backend', [gw({ backends: ['https://1.2.3.4'] })], "failed to validate backend 'https://1.2.3.4': scheme expected to be http"],
    ['name proxy hostname backend', [gw({ backends: ['http://example.com'] })], "failed to validate backend 'http://example.com': invalid ip address in backend: example.com"],
    ['name proxy loopback backend', [gw({ backends: ['http://127.0.0.1:80'] })], "failed to validate backend 'http://127.0.0.1:80': invalid ip address in backend: 127.0.0.1"],
    [
      'name proxy bad port',
      [gw({ backends: ['http://1.2.3.4:x'] })],
      'failed to validate backend \'http://1.2.3.4:x\': failed to parse backend with error: parse "http://1.2.3.4:x": invalid port ":x" after host',
    ],
    ['fqdn proxy bad fqdn', [fq({ fqdn: 'localhost', backends: ['1.2.3.4:443'] })], 'fqdn localhost is invalid'],
    [
      'passthrough backend without port',
      [fq({ backends: ['1.2.3.4'] })],
      "failed to validate backend '1.2.3.4': failed to parse backend 1.2.3.4 with error: failed to parse backend 1.2.3.4 with error: address 1.2.3.4: missing port in address",
    ],
    ['passthrough backend with a hostname', [fq({ backends: ['example.com:443'] })], "failed to validate backend 'example.com:443': failed to parse backend example.com:443 with error: invalid ip"],
    [
      'passthrough backend port above 65535',
      [fq({ backends: ['1.2.3.4:70000'] })],
      "failed to validate backend '1.2.3.4:70000': failed to parse backend 1.2.3.4:70000 with error: port '70000' must be <= 65535",
    ],
    [
      'passthrough backend non-numeric port',
      [fq({ backends: ['[::1]:http'] })],
      "failed to validate backend '[::1]:http': failed to parse backend [::1]:http with error: invalid port in backend: http",
    ],
  ])('%s', (_rule, workloads, text) => {
    expect(validateDeployment(makeDeployment(workloads))).toBe(text);
  });

  it.each<[string, RawWorkload[]]>([
    ['zmachine public ip on an ip workload', [{ name: 'pub', type: 'ip', data: { v4: true } }, vm({}, { public_ip: 'pub' })]],
    ['zmachine public ip on an ipv4 workload', [{ name: 'pub', type: 'ipv4', data: {} }, vm({}, { public_ip: 'pub' })]],
    [
      'a wrongly typed public ip passes, and skips the later checks (node quirk)',
      [{ name: 'pub', type: 'zmount', data: { size: 1 } }, vm({}, { public_ip: 'pub', interfaces: [{ network: 'ygg', ip: '10.0.0.2' }] })],
    ],
    ['zmachine root of 0 means the minimum', [vm({ size: 0 })]],
    ['zmachine memory of exactly 250 MiB', [vm({ compute_capacity: { cpu: 1, memory: 262144000 } })]],
    ['zdb with an empty password (TS requires one, the node does not)', [{ name: 'z', type: 'zdb', data: { size: 1, mode: 'seq', password: '' } }]],
    ['network subnet outside ip_range (not checked by the node)', [{ name: 'n', type: 'network', data: { ...NET_DATA, subnet: '192.168.1.0/24' } }]],
    ['name proxy with IPv6 http backend', [gw({ backends: ['http://[2a02::1]:8080'] })]],
    ['fqdn proxy IPv6 passthrough backend', [fq({ backends: ['[2a02:1802:5e::223]:443'] })]],
    [
      'zlogs wss and redis outputs',
      [vm(), { name: 'l', type: 'zlogs', data: { zmachine: 'vm', output: 'wss://h/x' } }, { name: 'l2', type: 'zlogs', data: { zmachine: 'vm', output: 'redis://1.2.3.4:6379' } }],
    ],
    [
      'network-light with WireGuard fields',
      [{ name: 'nl', type: 'network-light', data: { subnet: '10.1.5.0/24', mycelium: myc, ip_range: '10.1.0.0/16', wireguard_private_key: 'k', wireguard_listen_port: 1 } }],
    ],
  ])('accepts %s', (_rule, workloads) => {
    expect(validateDeployment(makeDeployment(workloads))).toBeUndefined();
  });
});

describe('walk order with undecodable data', () => {
  it('does not trip over a later VM whose data fails to decode, and reports that decode error', async () => {
    const { parseDeployment } = await import('./index');
    const { rawDeployment } = await import('../../test/fixtures/zos/deployments');
    const raw = rawDeployment([{ name: 'pub', type: 'ip', data: { v4: true } }, vm({}, { public_ip: 'pub' }), { name: 'vm2', type: 'zmachine', data: { compute_capacity: { cpu: 'one' } } }]);
    expect(() => parseDeployment(raw)).toThrow(
      "failed to load data into object of type '*zos.ZMachine': json: cannot unmarshal string into Go struct field MachineCapacity.compute_capacity.cpu of type uint8",
    );
  });
});
