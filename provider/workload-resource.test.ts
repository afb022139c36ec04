/**
 * Inputs, diff and wire mapping of every workload resource: one row per rule (style.md §6).
 */
import { WORKLOAD_KINDS } from './kinds';
import { UNKNOWN, parseSize } from './inputs';
import { checkWorkload, diffWorkload, wireData } from './workload-resource';

const base = { node: 1, deployment: 'proj.dev', name: 'w1' };
const net = { name: 'net1', subnets: { '1': '10.20.2.0/24' } };
const zdbBackend = { address: '[2a02::1]:9900', namespace: 'ns', password: 'p' };
const valid: Record<keyof typeof WORKLOAD_KINDS, Record<string, unknown>> = {
  ZMount: { ...base, size: '10GiB' },
  Volume: { ...base, size: '10GiB' },
  PublicIp: { ...base },
  ZMachine: { ...base, flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist', network: net, cpu: 1, memory: '1GiB' },
  Zdb: { ...base, size: '1GiB' },
  Qsfs: { ...base, cache: '1GiB', minimalShards: 1, expectedShards: 2, metadata: { prefix: 'm', backends: [zdbBackend] }, groups: [{ backends: [zdbBackend, zdbBackend] }] },
  NameProxy: { ...base, subdomain: 'myapp', backends: ['http://198.51.100.2:8080'] },
  FqdnProxy: { ...base, fqdn: 'app.example.com', backends: ['1.2.3.4:443'], tlsPassthrough: true },
  ZLogs: { ...base, zmachine: 'vm1', output: 'redis://10.0.0.1:6379' },
};

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    ['10GiB', 10 * 1024 ** 3],
    ['512 MiB', 512 * 1024 ** 2],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2048', 2048],
  ])('parses %p as %p bytes', (v, bytes) => expect(parseSize(v, 'size')).toBe(bytes));

  it.each(['10GB', '10G', 'ten', '-1', '', '1.5', '9999999TiB'])('refuses %p naming the field and the fix', (v) => {
    expect(() => parseSize(v, 'disks[0].size')).toThrow(/disks\[0\]\.size: .* is not a size; use bytes or a binary unit such as "10GiB"/);
  });
});

describe('check', () => {
  it.each(Object.keys(valid))('%s accepts valid inputs and applies defaults', (t) => {
    const kind = WORKLOAD_KINDS[t as keyof typeof WORKLOAD_KINDS];
    const r = checkWorkload(kind as never, undefined, { ...valid[t as keyof typeof valid], __provider: 'x' });
    expect(r.failures).toEqual([]);
    expect(r.inputs.description).toBe('');
    expect(r.inputs.__provider).toBe('x');
  });

  const bad: [keyof typeof WORKLOAD_KINDS, Record<string, unknown>, string, RegExp][] = [
    ['ZMount', { size: '10GB' }, 'size', /is not a size; use bytes or a binary unit/],
    ['ZMount', { name: 'my-disk' }, 'name', /only letters, digits and _ are allowed in ZOS workload names/],
    ['ZMount', { name: 'ygg' }, 'name', /reserved/],
    ['ZMount', { name: 'a'.repeat(37) }, 'name', /cannot exceed 36 characters/],
    ['ZMount', { node: 0 }, 'node', /positive/],
    ['ZMount', { deployment: 'a b' }, 'deployment', /deployment group/],
    ['PublicIp', { v4: false, v6: false }, 'v4', /public ip workload with no selections/],
    ['ZMachine', { cpu: 0 }, 'cpu', /cpu capacity can't be 0/],
    ['ZMachine', { memory: '100MiB' }, 'memory', /can't be less than 250MiB/],
    ['ZMachine', { network: { name: 'pub', subnets: {} } }, 'network.name', /reserved network names/],
    ['ZMachine', { node: 2 }, 'network', /node 2 is not part of network "net1" \(nodes 1\); add it to the Network's nodes/],
    ['ZMachine', { mounts: [{ name: 'd', node: 2, deployment: 'proj.dev', mountpoint: '/data' }] }, 'mounts[0]', /disk "d" is on node 2 .* give both the same node and deployment/],
    ['ZMachine', { mounts: [{ name: 'd', node: 1, deployment: 'proj.dev', mountpoint: '/' }] }, 'mounts[0].mountpoint', /absolute path other than \//],
    ['ZMachine', { mycelium: true }, 'mycelium', /has no mycelium; set mycelium: true on the Network/],
    ['ZMachine', { gpus: ['nvidia'] }, 'gpus[0]', /<pci slot>\/<vendor>\/<device>/],
    ['Zdb', { mode: 'fast' }, 'mode', /Invalid enum value/],
    ['Qsfs', { minimalShards: 3, expectedShards: 2 }, 'minimalShards', /minimal shards can't be greater than expected shards/],
    ['Qsfs', { expectedShards: 5 }, 'groups', /fewer data backends than expectedShards/],
    ['NameProxy', { subdomain: 'My App' }, 'subdomain', /3\.\.64 characters of a-z/],
    ['NameProxy', { backends: [] }, 'backends', /backends list can not be empty/],
    ['NameProxy', { backends: ['https://10.0.0.1'] }, 'backends[0]', /scheme expected to be http/],
    ['NameProxy', { backends: ['http://example.com'] }, 'backends[0]', /must be an IP address/],
    ['NameProxy', { backends: ['http://127.0.0.1:80'] }, 'backends[0]', /loopback/],
    ['FqdnProxy', { backends: ['http://1.2.3.4'] }, 'backends[0]', /ip:port/],
    ['FqdnProxy', { fqdn: 'localhost' }, 'fqdn', /domain name/],
    ['ZLogs', { output: 'http://x' }, 'output', /redis:\/\/, ws:\/\/ or wss:\/\//],
  ];
  it.each(bad)('%s %j fails at %s', (t, change, property, reason) => {
    const r = checkWorkload(WORKLOAD_KINDS[t] as never, undefined, { ...valid[t], ...change });
    const f = r.failures.find((x) => x.property === property);
    expect(f?.reason).toMatch(reason);
    expect(f?.reason).toMatch(new RegExp(`^${t} "`));
  });

  it('tolerates values unknown at preview', () => {
    const r = checkWorkload(WORKLOAD_KINDS.ZMachine as never, undefined, { ...valid.ZMachine, network: { name: UNKNOWN, subnets: UNKNOWN } });
    expect(r.failures).toEqual([]);
  });

  it.each([
    ['ZMount', 'size', '10GiB', '5GiB', /size cannot shrink from 10GiB to 5GiB \(ZOS: not safe to shrink a disk\)/],
    ['Zdb', 'size', '2GiB', '1GiB', /size cannot shrink from 2GiB to 1GiB \(ZOS: cannot shrink zdb namespace\)/],
    ['Volume', 'size', '10GiB', '5GiB', /size cannot shrink from 10GiB to 5GiB \(ZOS: cannot shrink volume to be less than provisioned space\)/],
  ] as const)('%s refuses to shrink %s', (t, field, from, to, reason) => {
    const olds = { ...valid[t], [field]: from };
    const r = checkWorkload(WORKLOAD_KINDS[t] as never, olds, { ...valid[t], [field]: to });
    expect(r.failures).toEqual([{ property: field, reason: expect.stringMatching(reason) }]);
    expect(checkWorkload(WORKLOAD_KINDS[t] as never, olds, { ...valid[t], [field]: '20GiB' }).failures).toEqual([]);
  });
});

describe('diff follows the ZOS update rules', () => {
  const checked = (t: keyof typeof WORKLOAD_KINDS, change: Record<string, unknown> = {}) => checkWorkload(WORKLOAD_KINDS[t] as never, undefined, { ...valid[t], ...change }).inputs;
  it.each([
    ['ZMount', { size: '20GiB' }, [], false],
    ['ZMount', { node: 2 }, ['node'], false],
    ['ZMount', { deployment: 'other' }, ['deployment'], false],
    ['Volume', { size: '20GiB' }, [], false],
    ['Zdb', { size: '2GiB' }, [], false],
    ['Zdb', { password: 'new' }, [], false],
    ['Zdb', { mode: 'seq' }, ['mode'], true],
    ['Qsfs', { cache: '2GiB' }, [], false],
    ['ZMachine', { cpu: 2 }, ['cpu'], true],
    ['ZMachine', { env: { A: 'b' } }, ['env'], true],
    // Same network (identity: name, /16), another node: only the node moves it; another network replaces it too.
    ['ZMachine', { node: 2, network: { name: 'net1', subnets: { '2': '10.20.3.0/24' } } }, ['node'], false],
    ['ZMachine', { network: { name: 'net2', ipRange: '10.20.0.0/16' } }, ['network'], true],
    ['PublicIp', { v6: true }, ['v6'], true],
    ['PublicIp', { node: 2 }, ['node'], true],
    ['NameProxy', { backends: ['http://198.51.100.3:80'] }, ['backends'], true],
    ['FqdnProxy', { fqdn: 'b.example.com' }, ['fqdn'], true],
    ['ZLogs', { output: 'ws://10.0.0.1:9000' }, ['output'], true],
  ] as const)('%s %j → replaces %j, deleteBeforeReplace %p', (t, change, replaces, dbr) => {
    const olds = { ...checked(t), contractId: 4, state: 'ok', __provider: 'old' };
    const d = diffWorkload(WORKLOAD_KINDS[t] as never, olds, { ...checked(t, change), __provider: 'new' });
    expect(d.changes).toBe(true);
    expect(d.replaces).toEqual(replaces);
    if (replaces.length > 0) expect(d.deleteBeforeReplace).toBe(dbr);
  });

  it('reports no change when only __provider and outputs differ', () => {
    const d = diffWorkload(WORKLOAD_KINDS.ZMount as never, { ...checked('ZMount'), contractId: 3, __provider: 'a' }, { ...checked('ZMount'), __provider: 'b' });
    expect(d).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
});

describe('wire mapping', () => {
  it('maps a machine to the zmachine data of zos-protocol.md §1.5', () => {
    const i = checkWorkload(WORKLOAD_KINDS.ZMachine as never, undefined, {
      ...valid.ZMachine,
      env: { SSH_KEY: 'k' },
      planetary: true,
      mounts: [{ name: 'data', node: 1, deployment: 'proj.dev', mountpoint: '/data' }],
      publicIp: { name: 'ip1', node: 1, deployment: 'proj.dev' },
    }).inputs;
    const data = WORKLOAD_KINDS.ZMachine.toWire(i as never, { privateIp: '10.20.2.5' });
    const expected = {
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { public_ip: 'ip1', planetary: true, interfaces: [{ network: 'net1', ip: '10.20.2.5' }] },
      size: 0n,
      compute_capacity: { cpu: 1, memory: 1024n ** 3n },
      mounts: [{ name: 'data', mountpoint: '/data' }],
      entrypoint: '',
      env: { SSH_KEY: 'k' },
      corex: false,
      gpu: [],
    };
    expect(data).toEqual(expected);
    // What the coordinator gets: the same JSON with sizes as numbers, as the nodes return them.
    expect(wireData(data)).toEqual({ ...expected, size: 0, compute_capacity: { cpu: 1, memory: 1024 ** 3 } });
  });

  it('maps a machine on a light node to zmachine-light data: no public IP, no planetary', () => {
    const i = checkWorkload(WORKLOAD_KINDS.ZMachine as never, undefined, { ...valid.ZMachine, mycelium: true, network: { name: 'net1', mycelium: true } }).inputs;
    const data = WORKLOAD_KINDS.ZMachine.toWire(i as never, { privateIp: '10.20.2.5', workloadType: 'zmachine-light', myceliumSeed: 'a1b2c3d4e5f6' });
    expect(data.network).toEqual({ interfaces: [{ network: 'net1', ip: '10.20.2.5' }], mycelium: { network: 'net1', hex_seed: 'a1b2c3d4e5f6' } });
  });

  it('reads a machine result by the protocol type: ygg_ip of older nodes is the planetary IP; none yet keeps the allocated IP', () => {
    const outs = WORKLOAD_KINDS.ZMachine.resultOutputs({ id: '7-3-vm', ip: '10.20.2.5', ygg_ip: '300::1', mycelium_ip: '', console_url: '10.20.2.0:20005' }, {} as never, {});
    expect(outs).toEqual({ privateIp: '10.20.2.5', planetaryIp: '300::1', myceliumIp: '', consoleUrl: '10.20.2.0:20005', machineId: '7-3-vm' });
    expect(WORKLOAD_KINDS.ZMachine.resultOutputs(null, {} as never, { privateIp: '10.20.2.9' })).toEqual({ privateIp: '10.20.2.9', planetaryIp: '', myceliumIp: '', consoleUrl: '', machineId: '' });
  });

  it('maps zdb results with their capitalised keys to outputs', () => {
    expect(WORKLOAD_KINDS.Zdb.resultOutputs({ Namespace: '7-3-db', IPs: ['2a02::5'], Port: 9900 }, {} as never, {})).toEqual({
      namespace: '7-3-db',
      ips: ['2a02::5'],
      port: 9900,
      endpoint: '[2a02::5]:9900',
    });
  });

  it('maps a name proxy with and without network', () => {
    const i = checkWorkload(WORKLOAD_KINDS.NameProxy as never, undefined, valid.NameProxy).inputs;
    expect(WORKLOAD_KINDS.NameProxy.toWire(i as never, {})).toEqual({ name: 'myapp', tls_passthrough: false, backends: ['http://198.51.100.2:8080'] });
    expect(WORKLOAD_KINDS.NameProxy.toWire({ ...i, network: 'net1' } as never, {})).toMatchObject({ network: 'net1' });
  });
});
