/**
 * The serialized dynamic provider (pulumi-notes.md §2.2, thin-shim pattern): each method `require()`s the
 * implementation at run time in the plugin process, so `__provider` stays small (it captures only the type
 * name), survives package upgrades, never holds a client or a credential, and every shim of the process shares
 * one grid connection through Node's module cache. The module is `pulumi-tfgrid/dist/provider/dynamic-entry`
 * resolved from the Pulumi project's node_modules (the published package, `make package`; in a checkout, the link
 * local/grid/example-runner.ts writes at the same path), or `TFGRID_PROVIDER_MODULE` when set (provider tests).
 * @module
 */
import type * as pulumi from '@pulumi/pulumi';

/** The methods `dynamic-entry` exports, as the shim calls them. */
export interface DynamicEntry {
  configure(get: (key: string) => string | undefined): void;
  check(type: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult>;
  diff(type: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult>;
  create(type: string, inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult>;
  read(type: string, id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult>;
  update(type: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult>;
  delete(type: string, id: string, props: Record<string, unknown>): Promise<void>;
}

const shims = new Map<string, pulumi.dynamic.ResourceProvider>();

/** The shim for `typeName` (one object per type, so @pulumi/pulumi serializes it once per process). */
export function makeShim(typeName: string): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(typeName);
  if (!shim) shims.set(typeName, (shim = buildShim(typeName)));
  return shim;
}

/** A dynamic provider for `typeName` whose serialized text is a few hundred bytes. */
export function buildShim(typeName: string): pulumi.dynamic.ResourceProvider {
  // Everything below is serialized by @pulumi/pulumi: it may only use `typeName`, `require` and `process`.
  const load = (): DynamicEntry => require(process.env.TFGRID_PROVIDER_MODULE || 'pulumi-tfgrid/dist/provider/dynamic-entry');
  return {
    async configure(req) {
      load().configure((k) => req.config.get(k));
    },
    async check(olds, news) {
      return load().check(typeName, olds, news);
    },
    async diff(id, olds, news) {
      return load().diff(typeName, id, olds, news);
    },
    async create(inputs) {
      try {
        return await load().create(typeName, inputs);
      } catch (err) {
        // A partially created resource must carry __provider, which the plugin does not add on this path.
        const e = err as { properties?: Record<string, unknown> };
        if (e && e.properties) e.properties.__provider = inputs.__provider;
        throw err;
      }
    },
    async read(id, props) {
      return load().read(typeName, id, props ?? {});
    },
    async update(id, olds, news) {
      return load().update(typeName, id, olds, news);
    },
    async delete(id, props) {
      return load().delete(typeName, id, props);
    },
  };
}
