/**
 * `findNodes()` in a program's process: it connects with the stack's `tfgrid:*` config (what the Pulumi CLI and
 * the Automation API give the program), the environment only as a fallback; its failures reach the user as our
 * text, also when Pulumi serializes the rejected promise as a resource input.
 */
import * as pulumi from '@pulumi/pulumi';
import { serializeProperties } from '@pulumi/pulumi/runtime/rpc';
import type { ProviderConfig } from '../provider/config';
import type { CoordinatorDeps } from '../provider/deps';
import { resetRuntime, setGridFactory } from '../provider/runtime';
import { silentLogger, silentProgress } from '../protocol/common/log';
import { InputError } from '../protocol/common/errors';
import { findNodes } from './node-picker';

let seen: ProviderConfig[] = [];
let fail: Error | undefined;

beforeEach(async () => {
  await resetRuntime();
  seen = [];
  fail = undefined;
  delete process.env.TFGRID_CHAIN_URLS;
  delete process.env.TFGRID_NETWORK;
  setGridFactory(async (config) => {
    seen.push(config);
    if (fail) throw fail;
    const deps = { chain: { listNodes: async () => [] }, log: silentLogger, progress: silentProgress } as unknown as CoordinatorDeps;
    return { deps, close: () => undefined };
  });
});

afterAll(async () => {
  setGridFactory(undefined);
  await resetRuntime();
  delete process.env.TFGRID_CHAIN_URLS;
});

describe('findNodes config', () => {
  it("reads the stack's tfgrid:* config before TFGRID_* environment variables", async () => {
    process.env.TFGRID_CHAIN_URLS = 'ws://env.example:9944';
    pulumi.runtime.setConfig('tfgrid:chainUrls', 'ws://stack.example:9944');
    pulumi.runtime.setConfig('tfgrid:network', 'testnet');
    expect(await findNodes({})).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0].chainUrls).toEqual(['ws://stack.example:9944']);
    expect(seen[0].network).toBe('test');
  });

  it('falls back to the environment when the stack has no value', async () => {
    pulumi.runtime.setAllConfig({});
    process.env.TFGRID_CHAIN_URLS = 'ws://env.example:9944';
    await findNodes({});
    expect(seen[0].chainUrls).toEqual(['ws://env.example:9944']);
    expect(seen[0].network).toBe('local');
  });
});

describe('findNodes errors', () => {
  it('a bad tfgrid:network rejects with a RunError naming the key and the fix', async () => {
    pulumi.runtime.setAllConfig({ 'tfgrid:network': 'moon' });
    const err = await findNodes({}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toBe('findNodes: tfgrid:network "moon" is not a grid; use one of local, dev, qa, test, main; fix: pulumi config set tfgrid:network local');
  });

  it('as a resource input, the user reads our text, not "error serializing property" (rpc.js)', async () => {
    pulumi.runtime.setAllConfig({});
    fail = new InputError("no mnemonic: tfgrid needs the deploying twin's mnemonic", { path: 'tfgrid:mnemonic', fix: 'pulumi config set --secret tfgrid:mnemonic "<words>"' });
    const network = findNodes({}).then((n) => n.length);
    const err = await serializeProperties('test', { network }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toBe('findNodes: no mnemonic: tfgrid needs the deploying twin\'s mnemonic (field tfgrid:mnemonic); fix: pulumi config set --secret tfgrid:mnemonic "<words>"');
  });

  it('a bad filter names the field', async () => {
    const err = await findNodes({ cpu: -1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/^findNodes: cpu: /);
  });
});
