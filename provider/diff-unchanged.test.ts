/**
 * Unchanged inputs, no change (issue 22), for every resource type the provider serves: `diff(outputs of create,
 * the same inputs)` says nothing changed, with every optional input omitted and with each one given, both for
 * outputs that record their checked inputs (`__inputs`) and for states written before that (outputs only).
 * Pure: the outputs are built by the same functions create uses (`workloadOutputs`, `pickerOutputs`, the
 * network's plan), with a sample node result.
 */
import { checkRentContract, diffRentContract } from './resources/rent-contract';
import { INPUTS_KEY } from './checked-inputs';
import { RESOURCE_TYPES, WORKLOAD_KINDS, type ResourceTypeName } from './kinds';
import { checkHubFlist, diffHubFlist, type HubFlistDeps } from './resources/hub-flist';
import { checkNetwork, diffNetwork, planNetwork, networkInputsSchema } from './resources/network';
import { checkNodePicker, diffNodePicker, pickerOutputs, updateNodePicker, nodePickerInputsSchema, type PickerLookup } from './resources/node-picker';
import { withCheckedInputs } from './checked-inputs';
import { checkWorkload, diffWorkload, workloadOutputs, type CommonInputs, type DiffResult, type ResourceKind } from './workload-resource';

type Props = Record<string, unknown>;

const IMAGE_ID = `sha256:${'ab'.repeat(32)}`;
const docker: HubFlistDeps = { docker: () => ({ imageId: async () => IMAGE_ID, save: async () => undefined }) };
const place = { node: 1, deployment: 'd', name: 'w' };
const ref = (name: string) => ({ name, node: 1, deployment: 'd' });
const backend = { address: '[2a02::1]:9900', namespace: 'ns', password: 'pw' };

interface Sample {
  /** Required inputs only. */
  required: Props;
  /** Each optional input with a value other than its default. */
  optional: Props;
  /** What the node reports for the workload (its result data), and what `prepare` stored. */
  result?: unknown;
  prepared?: Props;
}

/** One sample per resource type; a type without one fails the coverage test below. */
const SAMPLES: Record<ResourceTypeName, Sample> = {
  ZMount: { required: { ...place, size: '1GiB' }, optional: { description: 'disk', adoptContractId: 7 }, result: { volume_id: 'v1' } },
  Volume: { required: { ...place, size: '1GiB' }, optional: { description: 'volume', adoptContractId: 7 }, result: { id: 'v1' } },
  PublicIp: { required: { ...place }, optional: { v6: true, description: 'ip' }, result: { ip: '185.69.0.9/24', ip6: '', gateway: '185.69.0.1' } },
  ZMachine: {
    required: { ...place, flist: 'https://hub/f.flist', network: { name: 'net', ipRange: '10.20.0.0/16', nodes: [1, 2] }, cpu: 1, memory: '1GiB' },
    optional: {
      ip: '10.20.2.9',
      rootfsSize: '2GiB',
      entrypoint: '/sbin/zinit init',
      env: { A: 'b' },
      mounts: [{ ...ref('data'), mountpoint: '/data' }],
      publicIp: ref('ip'),
      planetary: true,
      corex: true,
      gpus: ['0000:01:00.0/10de/1b80'],
      description: 'vm',
    },
    result: { id: 'm1', ip: '10.20.2.2', planetary_ip: '300::1', console_url: '10.20.2.1:20002' },
    prepared: { privateIp: '10.20.2.2' },
  },
  Zdb: {
    required: { ...place, size: '1GiB' },
    optional: { mode: 'seq', password: 'secret', public: true },
    result: { Namespace: 'ns', IPs: ['2a02::1'], Port: 9900 },
    prepared: { generatedPassword: 'g' },
  },
  Qsfs: {
    required: { ...place, cache: '1GiB', minimalShards: 1, expectedShards: 1, metadata: { prefix: 'p', backends: [backend] }, groups: [{ backends: [backend] }] },
    optional: { redundantGroups: 1, redundantNodes: 1, maxZdbDataDirSize: 16, encryptionKey: 'ab'.repeat(32) },
    result: { path: '/mnt/q', metrics_endpoint: 'http://x:9100/metrics' },
  },
  NameProxy: {
    required: { ...place, subdomain: 'app', backends: ['http://185.69.0.9:80'] },
    optional: { network: 'net', description: 'gw' },
    result: { fqdn: 'app.n1.grid' },
    prepared: { nameContractId: 5, ownsNameContract: true },
  },
  FqdnProxy: { required: { ...place, fqdn: 'app.example.com', backends: ['http://185.69.0.9:80'] }, optional: { network: 'net', description: 'gw' } },
  ZLogs: { required: { ...place, zmachine: 'vm', output: 'redis://10.20.2.9:6379' }, optional: { description: 'logs' } },
  Network: { required: { name: 'net', nodes: [1, 2] }, optional: { ipRange: '10.30.0.0/16', addWgAccess: true, accessNode: 1, mycelium: true, description: 'n' } },
  NodePicker: {
    required: {},
    optional: {
      cpu: 2,
      memory: '1GiB',
      ssd: '1GiB',
      hdd: '1GiB',
      publicIpv4: 1,
      publicIpv6: true,
      domain: true,
      farmId: 1,
      country: 'Belgium',
      exclude: [3],
      dedicated: false,
      rentable: true,
      certified: true,
      hasGpu: true,
      count: 2,
      farmName: 'f',
      city: 'Ghent',
    },
  },
  HubFlist: { required: { image: 'app:1', hubUrl: 'http://127.0.0.1:8090', baseName: 'app' }, optional: { repo: 'me', dockerHost: 'unix:///var/run/docker.sock' } },
  RentContract: { required: { node: 3 }, optional: { solutionProviderId: 1 } },
};

/** The node a picker chose: farm 1, with a domain and IPv6, in Belgium (so every sample filter fits). */
const CHOSEN = {
  nodeId: 1,
  twinId: 9,
  farmId: 1,
  resources: { cru: 8, mru: 2 ** 35, sru: 2 ** 40, hru: 2 ** 41 },
  country: 'Belgium',
  publicConfig: { ip4: '185.69.0.50/24', ip6: '2a02::50/64', domain: 'n1.grid' },
};
const noGrid = async (): Promise<PickerLookup> => {
  throw new Error('the diff of unchanged inputs must not need the grid');
};

const kind = (t: string) => (WORKLOAD_KINDS as Record<string, ResourceKind<CommonInputs>>)[t];

async function check(type: ResourceTypeName, raw: Props): Promise<Props> {
  const r =
    type === 'Network'
      ? checkNetwork({}, raw)
      : type === 'NodePicker'
        ? checkNodePicker(raw)
        : type === 'HubFlist'
          ? await checkHubFlist(raw, docker)
          : type === 'RentContract'
            ? checkRentContract(raw)
            : checkWorkload(kind(type), {}, raw);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** The outputs create makes from checked `inputs`, without touching the grid. */
function created(type: ResourceTypeName, inputs: Props): Props {
  if (type === 'Network') {
    const plan = planNetwork(networkInputsSchema.parse(inputs), undefined, { '1': { endpointIp: '185.69.0.50', takenPorts: [] }, '2': { endpointIp: '', takenPorts: [] } });
    return withCheckedInputs({ ...plan, contractIds: { '1': 1, '2': 2 }, twinId: 9, state: 'ok' }, inputs);
  }
  if (type === 'NodePicker') return pickerOutputs(nodePickerInputsSchema.parse(inputs), CHOSEN);
  if (type === 'HubFlist') return withCheckedInputs({ ...inputs, url: 'http://127.0.0.1:8090/pulumi/app-abab.flist', flistName: 'app-abab', md5: 'x', state: 'ok' }, inputs);
  if (type === 'RentContract') return withCheckedInputs({ ...inputs, contractId: 9, twinId: 7, state: 'created' }, inputs);
  const s = SAMPLES[type];
  const k = kind(type);
  const i = k.inputs.parse(inputs);
  return workloadOutputs(k, i, s.prepared ?? {}, {
    twinId: 9,
    contractId: 3,
    version: 1,
    workload: { version: 1, name: i.name, type: k.workloadType, data: {}, metadata: '', description: '', result: { state: 'ok', data: s.result ?? null } },
  });
}

async function diff(type: ResourceTypeName, olds: Props, news: Props): Promise<DiffResult> {
  if (type === 'Network') return diffNetwork(olds, news);
  if (type === 'NodePicker') return diffNodePicker(olds, news, noGrid);
  if (type === 'HubFlist') return diffHubFlist(olds, news);
  if (type === 'RentContract') return diffRentContract(olds, news);
  return diffWorkload(kind(type), olds, news);
}

/** Outputs as a stack written before `__inputs` existed holds them. */
const legacy = (outs: Props): Props => {
  const { [INPUTS_KEY]: _r, ...rest } = outs;
  void _r;
  return rest;
};

const NONE = { changes: false, replaces: [] };

function variants(s: Sample): [string, Props][] {
  return [
    ['every optional input omitted', s.required],
    ...Object.entries(s.optional).map(([k, v]): [string, Props] => [`${k} given`, { ...s.required, [k]: v }]),
    ['every optional input given', { ...s.required, ...s.optional }],
  ];
}

describe('unchanged inputs, no change: every resource type', () => {
  it('has a sample for every resource type the provider serves', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...RESOURCE_TYPES].sort());
  });

  describe.each(RESOURCE_TYPES.map((t) => [t]))('%s', (type) => {
    it.each(variants(SAMPLES[type]))('%s: diff(outputs of create, the same inputs) is no change, also for a state without __inputs', async (_label, raw) => {
      const inputs = await check(type, raw);
      const outs = created(type, inputs);
      expect(outs[INPUTS_KEY]).toBeDefined();
      // The next run checks the same program again: its inputs are checked anew.
      const again = await check(type, raw);
      expect(await diff(type, outs, again)).toMatchObject(NONE);
      expect(await diff(type, legacy(outs), again)).toMatchObject(NONE);
    });
  });
});

describe('no output can shadow an input', () => {
  it('a kind whose output is named like an input, with another value, still diffs as no change', () => {
    const zmount = kind('ZMount');
    const shadowing: ResourceKind<CommonInputs> = { ...zmount, resultOutputs: () => ({ size: 'what the node reports', description: 'node text' }) };
    const inputs = checkWorkload(shadowing, {}, SAMPLES.ZMount.required).inputs;
    const outs = workloadOutputs(shadowing, shadowing.inputs.parse(inputs), {}, { twinId: 9, contractId: 3, version: 1 });
    expect(outs.size).toBe('what the node reports');
    expect(diffWorkload(shadowing, outs, checkWorkload(shadowing, {}, SAMPLES.ZMount.required).inputs)).toMatchObject(NONE);
  });
});

describe('the NodePicker keeps its node while it fits', () => {
  const filterOf = (raw: Props) => nodePickerInputsSchema.parse(raw);
  const lookup = (free: Partial<{ cru: number; mru: number; sru: number; hru: number; farmIps: number }>) => async (): Promise<PickerLookup> => ({
    node: async () => CHOSEN,
    free: async () => ({ cru: 0, mru: 0, sru: 0, hru: 0, farmIps: 0, ...free }),
  });

  it('a filter the node still satisfies is an update that keeps it; the update records the new filter', async () => {
    const outs = pickerOutputs(filterOf({ memory: '1GiB' }), CHOSEN);
    const next = checkNodePicker({ memory: '1GiB', farmId: 1, domain: true }).inputs;
    expect(await diffNodePicker(outs, next, noGrid)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = (await updateNodePicker(outs, next)).outs;
    expect(updated).toMatchObject({ nodeId: 1, farmId: 1 });
    expect(await diffNodePicker(updated, next, noGrid)).toMatchObject(NONE);
  });

  it('a filter the node no longer satisfies replaces the picker, naming the filter', async () => {
    const outs = pickerOutputs(filterOf({}), CHOSEN);
    expect(await diffNodePicker(outs, checkNodePicker({ farmId: 2 }).inputs, noGrid)).toMatchObject({ changes: true, replaces: ['farmId'] });
    expect(await diffNodePicker(outs, checkNodePicker({ exclude: [1] }).inputs, noGrid)).toMatchObject({ replaces: ['exclude'] });
    expect(await diffNodePicker(outs, checkNodePicker({ country: 'Egypt' }).inputs, noGrid)).toMatchObject({ replaces: ['country'] });
  });

  it('a raised capacity filter keeps the node when the rise fits in what is free on it now, and moves it otherwise', async () => {
    const outs = pickerOutputs(filterOf({ memory: '1GiB' }), CHOSEN);
    const next = checkNodePicker({ memory: '3GiB' }).inputs;
    expect(await diffNodePicker(outs, next, lookup({ mru: 2 * 2 ** 30 }))).toMatchObject({ changes: true, replaces: [] });
    expect(await diffNodePicker(outs, next, lookup({ mru: 2 ** 30 }))).toMatchObject({ changes: true, replaces: ['memory'] });
  });

  it('a state written before __inputs (chosen farm in farmId) is no change without a farm filter, and a replace for another farm', async () => {
    const old = legacy(pickerOutputs(filterOf({ memory: '1GiB' }), { ...CHOSEN, farmId: 4 }));
    expect(old.farmId).toBe(4);
    expect(await diffNodePicker(old, checkNodePicker({ memory: '1GiB' }).inputs, noGrid)).toMatchObject(NONE);
    expect(await diffNodePicker(old, checkNodePicker({ memory: '1GiB', farmId: 4 }).inputs, noGrid)).toMatchObject(NONE);
    expect(await diffNodePicker(old, checkNodePicker({ memory: '1GiB', farmId: 1 }).inputs, noGrid)).toMatchObject({ replaces: ['farmId'] });
  });

  it('an unknown filter at preview reports the possible replacement', async () => {
    const outs = pickerOutputs(filterOf({}), CHOSEN);
    const unknown = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
    expect(await diffNodePicker(outs, { ...checkNodePicker({}).inputs, farmId: unknown }, noGrid)).toMatchObject({ changes: true, replaces: ['farmId'] });
  });
});

describe('a machine compares its network by identity', () => {
  const k = kind('ZMachine');
  const base = SAMPLES.ZMachine.required;
  const outs = () => created('ZMachine', checkWorkload(k, {}, base).inputs);

  it('another node added to or removed from the network is no change', () => {
    for (const nodes of [[1], [1, 2, 3]]) expect(diffWorkload(k, outs(), checkWorkload(k, {}, { ...base, network: { name: 'net', ipRange: '10.20.0.0/16', nodes } }).inputs)).toMatchObject(NONE);
  });

  it('a state of an older SDK (every node subnet in network.subnets) is no change for the same network', () => {
    const old = legacy({ ...outs(), network: { name: 'net', subnets: { '1': '10.20.2.0/24', '2': '10.20.3.0/24' }, mycelium: false } });
    expect(diffWorkload(k, old, checkWorkload(k, {}, base).inputs)).toMatchObject(NONE);
  });

  it('another network (name or range) replaces the machine', () => {
    expect(diffWorkload(k, outs(), checkWorkload(k, {}, { ...base, network: { name: 'net', ipRange: '10.30.0.0/16', nodes: [1] } }).inputs)).toMatchObject({ replaces: ['network'] });
    expect(diffWorkload(k, outs(), checkWorkload(k, {}, { ...base, network: { name: 'other', ipRange: '10.20.0.0/16', nodes: [1] } }).inputs)).toMatchObject({ replaces: ['network'] });
  });

  it('a node outside the network is refused at preview when the node list is known', () => {
    const r = checkWorkload(k, {}, { ...base, network: { name: 'net', ipRange: '10.20.0.0/16', nodes: [2, 3] } });
    expect(r.failures[0]?.reason).toMatch(/node 1 is not part of network "net" \(nodes 2, 3\)/);
  });
});
