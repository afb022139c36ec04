/**
 * SDK wiring under `pulumi.runtime.setMocks` (pulumi-notes.md §3a): type tokens, references as objects,
 * default deployment group, and a small `__provider` that never holds the mnemonic.
 */
import * as pulumi from '@pulumi/pulumi';

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      const extra: Record<string, unknown> = {};
      if (args.type.endsWith(':Network')) Object.assign(extra, { nodeSubnets: { '1': '10.20.2.0/24' }, accessNodeId: 1, myceliumKeys: { '1': 'ab'.repeat(32) } });
      if (args.type.endsWith(':ZMachine')) extra.myceliumSeed = 'a1b2c3d4e5f6';
      if (args.type.endsWith(':Zdb')) Object.assign(extra, { generatedPassword: 'pw', endpoint: '[2a02::1]:9900', namespace: 'ns' });
      return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
    },
    call: (args) => args.inputs,
  },
  'proj',
  'dev',
  false,
);

import { networkOutputDocs } from '../provider/resources/network';
import { zmachineOutputDocs } from '../provider/resources/zmachine';
import * as tfgrid from './index';
import { COMMON_OUTPUTS } from './placement';

const out = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((r) => o.apply(r));

describe('sdk classes', () => {
  beforeAll(() => {
    process.env.TFGRID_MNEMONIC = 'never in state words';
  });

  it('registers typed dynamic resources and passes references as objects', async () => {
    const net = new tfgrid.Network('net', { nodes: [1] });
    const disk = new tfgrid.ZMount('data-disk', { node: 1, size: '10GiB' });
    const vm = new tfgrid.ZMachine('web', { node: 1, network: net, flist: 'f', cpu: 1, memory: '1GiB', mounts: [{ disk, mountpoint: '/data' }] });
    await out(vm.name);
    const vmReg = registered.find((r) => r.name === 'web')!;
    expect(vmReg.type).toBe('pulumi-nodejs:dynamic/tfgrid:ZMachine');
    expect(vmReg.inputs.deployment).toBe('proj.dev');
    // The network's identity from its args, never its outputs (issue 22); the Network is a dependency by option.
    expect(vmReg.inputs.network).toEqual({ name: 'net', ipRange: '10.20.0.0/16', mycelium: false, nodes: [1] });
    expect(vmReg.inputs.mounts).toEqual([{ name: 'data_disk', node: 1, deployment: 'proj.dev', mountpoint: '/data' }]);
    const provider = String(vmReg.inputs.__provider);
    expect(provider.length).toBeLessThan(4000);
    expect(provider).not.toContain('never in state');
    expect(provider).toContain('dynamic-entry');
    // secret outputs are marked by the engine (additionalSecretOutputs), which mocks do not run: the e2e tests run the real CLI
  });

  it('wires qsfs backends from Zdb objects', async () => {
    const meta = new tfgrid.Zdb('m', { node: 1, size: '1GiB' });
    const data = [new tfgrid.Zdb('d1', { node: 1, size: '1GiB', mode: 'seq' })];
    const fs = new tfgrid.Qsfs('qs', { node: 1, cache: '1GiB', minimalShards: 1, expectedShards: 1, metadata: { prefix: 'p', zdbs: [meta] }, groups: [data] });
    await out(fs.name);
    const reg = registered.find((r) => r.name === 'qs')!;
    expect(reg.inputs.groups).toEqual([{ backends: [{ address: '[2a02::1]:9900', namespace: 'ns', password: 'pw' }] }]);
  });

  it('exposes every output the provider documents, and asks the engine to keep the secret ones secret', async () => {
    // Mocks do not run additionalSecretOutputs (the engine does: the e2e tests run the real CLI): a transformation sees the options.
    const secretsOf: Record<string, string[]> = {};
    const seeOpts: pulumi.ResourceTransformation = (a) => {
      secretsOf[a.name] = (a.opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [];
      return undefined;
    };
    const net = new tfgrid.Network('mnet', { nodes: [1], mycelium: true, addWgAccess: true }, { transformations: [seeOpts] });
    const vm = new tfgrid.ZMachine('mvm', { node: 1, network: net, flist: 'f', cpu: 1, memory: '1GiB', mycelium: true }, { transformations: [seeOpts] });
    expect(await out(net.accessNodeId)).toBe(1);
    expect(await out(net.myceliumKeys)).toEqual({ '1': 'ab'.repeat(32) });
    expect(await out(vm.myceliumSeed)).toBe('a1b2c3d4e5f6');
    // A dynamic resource has an Output property only for the names it registers (withOutputs / OUTPUTS).
    const missing = (r: object, keys: readonly string[]) => keys.filter((k) => !pulumi.Output.isInstance((r as Record<string, unknown>)[k]));
    expect(missing(net, Object.keys(networkOutputDocs))).toEqual([]);
    expect(missing(vm, [...Object.keys(zmachineOutputDocs), ...COMMON_OUTPUTS])).toEqual([]);
    const secret = (docs: Record<string, { description: string; secret?: boolean }>) =>
      Object.keys(docs)
        .filter((k) => docs[k].secret)
        .sort();
    expect(secret(networkOutputDocs)).toEqual(['accessConfig', 'accessPrivateKey', 'myceliumKeys', 'wgPrivateKeys']);
    expect([...secretsOf.mnet].sort()).toEqual([...secret(networkOutputDocs), '__inputs', 'account'].sort());
    expect(secretsOf.mvm).toEqual([...secret(zmachineOutputDocs), '__inputs', 'account']);
  });
});
