/**
 * Every SDK class requests exactly the outputs the provider documents (pulumi-notes.md §2.7: the schema and the SDK
 * describe one set of outputs), at run time: a dynamic resource has an Output property only for the names it
 * registers (`withOutputs`), so a documented output the class forgets is `undefined` to the user, and a name the
 * provider does not document is an output no one fills. The declarations are checked at compile time
 * (`<Class>OutputsDeclared` in each sdk file); this checks the registered names and the secret ones.
 */
import * as pulumi from '@pulumi/pulumi';

pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs } }),
    call: (args) => args.inputs,
  },
  'proj',
  'dev',
  false,
);

import { buildSchema } from '../provider/schema';
import { makeShim } from '../provider/shim';
import * as tfgrid from './index';

interface ResourceSpec {
  properties: Record<string, { secret?: boolean }>;
  required: string[];
  inputProperties: Record<string, unknown>;
  isComponent?: boolean;
}
const schema = buildSchema('0.0.0') as { resources: Record<string, ResourceSpec> };
const spec = (type: string): ResourceSpec => schema.resources[`tfgrid:index:${type}`];

/** What the engine adds to every resource, not a property the SDK registers. */
const ENGINE_PROPERTIES = ['urn', 'id', '__provider'];

/**
 * The outputs the class requests: the names registered as Output properties, less the type's inputs that are not
 * also outputs (NodePicker's `farmId` is both: the filter, then the chosen node's farm).
 */
function requestedOutputs(type: string, r: pulumi.Resource): string[] {
  const inputsOnly = Object.keys(spec(type).inputProperties).filter((k) => !spec(type).required.includes(k));
  return Object.keys(r)
    .filter((k) => pulumi.Output.isInstance((r as unknown as Record<string, unknown>)[k]))
    .filter((k) => !ENGINE_PROPERTIES.includes(k) && !inputsOnly.includes(k))
    .sort();
}

const secretsOf: Record<string, string[]> = {};
const seeOpts: pulumi.ResourceTransformation = (a) => {
  secretsOf[a.name] = [...((a.opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [])].sort();
  return undefined;
};
const opts = { transformations: [seeOpts] };

/** One instance of every SDK resource class, by type name (the resource name is the type name). */
function instances(): Record<string, pulumi.Resource> {
  const net = new tfgrid.Network('Network', { nodes: [1], mycelium: true, addWgAccess: true }, opts);
  const disk = new tfgrid.ZMount('ZMount', { node: 1, size: '1GiB' }, opts);
  const vol = new tfgrid.Volume('Volume', { node: 1, size: '1GiB' }, opts);
  const ip = new tfgrid.PublicIp('PublicIp', { node: 1, deployment: 'web' }, opts);
  const zdb = new tfgrid.Zdb('Zdb', { node: 1, size: '1GiB', mode: 'seq' }, opts);
  const qsfs = new tfgrid.Qsfs('Qsfs', { node: 1, cache: '1GiB', minimalShards: 1, expectedShards: 1, metadata: { prefix: 'p', zdbs: [zdb] }, groups: [[zdb]] }, opts);
  const vm = new tfgrid.ZMachine(
    'ZMachine',
    {
      node: 1,
      network: net,
      flist: 'f',
      cpu: 1,
      memory: '1GiB',
      publicIp: ip,
      mounts: [
        { disk, mountpoint: '/data' },
        { disk: vol, mountpoint: '/vol' },
        { disk: qsfs, mountpoint: '/qs' },
      ],
    },
    opts,
  );
  return {
    Network: net,
    ZMount: disk,
    Volume: vol,
    PublicIp: ip,
    Zdb: zdb,
    Qsfs: qsfs,
    ZMachine: vm,
    NameProxy: new tfgrid.NameProxy('NameProxy', { node: 1, backends: ['http://10.20.2.2:80'], network: net }, opts),
    FqdnProxy: new tfgrid.FqdnProxy('FqdnProxy', { node: 1, fqdn: 'app.example.com', backends: ['http://10.20.2.2:80'] }, opts),
    ZLogs: new tfgrid.ZLogs('ZLogs', { zmachine: vm, output: 'redis://10.20.2.9:6379' }, opts),
    HubFlist: new tfgrid.HubFlist('HubFlist', { image: 'app:1', hubUrl: 'http://127.0.0.1:8090' }, opts),
    // No farmId in the filter: the picker must still register it, as the chosen node's farm.
    NodePicker: new tfgrid.NodePicker('NodePicker', { memory: '1GiB' }, opts),
    RentContract: new tfgrid.RentContract('RentContract', { node: 1 }, opts),
  };
}

/** Resolves once the mock engine has registered `r` (so no registration outlives the test file). */
const registered = (r: pulumi.Resource): Promise<string> => new Promise((res) => r.urn.apply(res));

describe('sdk outputs', () => {
  const all = instances();
  beforeAll(async () => {
    await Promise.all(Object.values(all).map(registered));
  });

  it('covers every resource type of the schema, and the schema every resource class the sdk exports', () => {
    const exported = Object.entries(tfgrid)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof pulumi.dynamic.Resource)
      .map(([k]) => k)
      .sort();
    expect(exported).toEqual(Object.keys(all).sort());
    const [components, custom] = [true, false].map((c) =>
      Object.keys(schema.resources)
        .filter((t) => (schema.resources[t].isComponent === true) === c)
        .sort(),
    );
    expect(custom).toEqual(exported.map((t) => `tfgrid:index:${t}`));
    // components (Kubernetes) are the SDK's own ComponentResource classes, built from the resources above
    const exportedComponents = Object.entries(tfgrid)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof pulumi.ComponentResource && !(v.prototype instanceof pulumi.CustomResource))
      .map(([k]) => `tfgrid:index:${k}`)
      .sort();
    expect(components).toEqual(exportedComponents);
  });

  it.each(Object.keys(all))('%s requests exactly the outputs the provider documents', (type) => {
    const documented = [...spec(type).required].sort();
    expect(documented.length).toBeGreaterThan(0);
    expect(requestedOutputs(type, all[type])).toEqual(documented);
  });

  it.each(Object.keys(all))('%s asks the engine to keep secret exactly the outputs the schema marks secret', (type) => {
    const props = spec(type).properties;
    const secret = spec(type).required.filter((k) => props[k].secret === true);
    // `__inputs` (the checked inputs every resource records for its diff, provider/checked-inputs.ts) is always secret,
    // and so is `account` (a mnemonic) wherever a resource keeps it.
    expect(secretsOf[type]).toEqual([...secret, '__inputs', 'account'].sort());
  });

  it('marks the secrets the provider keeps (a regression guard on the docs themselves)', () => {
    const secret = (type: string) =>
      Object.keys(spec(type).properties)
        .filter((k) => spec(type).properties[k].secret === true)
        .sort();
    // `account` (its mnemonic) on every resource that deploys with one.
    expect(secret('Zdb')).toEqual(['account', 'generatedPassword']);
    expect(secret('Qsfs')).toEqual(['account', 'dataKey', 'metaKey']);
    expect(secret('Network')).toEqual(['accessConfig', 'accessPrivateKey', 'account', 'myceliumKeys', 'wgPrivateKeys']);
    for (const t of ['ZMount', 'Volume', 'PublicIp', 'ZMachine', 'NameProxy', 'FqdnProxy', 'ZLogs', 'RentContract', 'NodePicker']) expect(secret(t)).toEqual(['account']);
    expect(secret('HubFlist')).toEqual([]);
  });

  it('sees a registered output the provider does not document, and a documented one left out', async () => {
    // The check itself can fail: a resource with one name too many and one too few.
    class Odd extends pulumi.dynamic.Resource {}
    const r = new Odd(makeShim('ZMount'), 'odd', {
      node: 1,
      size: '1GiB',
      ...{ volumeId: undefined, twinId: undefined, contractId: undefined, version: undefined, state: undefined, message: undefined, extra: undefined },
    });
    await registered(r);
    const got = requestedOutputs('ZMount', r);
    expect(got).toContain('extra');
    expect(got).not.toContain('workloadId');
    expect(got).not.toEqual([...spec('ZMount').required].sort());
  });
});
