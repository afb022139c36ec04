/**
 * A test-only Pulumi engine (DESIGN.md §5, pulumi-notes.md §3c): runs an unmodified Pulumi Node.js program with the
 * SDK's own runner (`@pulumi/pulumi/cmd/run`), serves the ResourceMonitor and Engine gRPC services it talks to,
 * drives the real dynamic-provider plugin (`plugin-client.ts`) for every dynamic resource, and keeps a JSON state
 * file. Supports preview (check + diff only), up (create / same / update / replace with delete-before-replace /
 * delete of resources no longer registered), refresh (read; `id: ""` drops the resource) and destroy.
 * Secrets: secret inputs are unwrapped before the provider sees them (the plugin says acceptSecrets=false) and
 * outputs of the same names plus `additionalSecretOutputs` are re-marked secret, as the real engine does.
 * Not a replacement for the CLI: no checkpoint format, aliases, protect, ignoreChanges or component parents.
 * @module
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import * as engineGrpc from '@pulumi/pulumi/proto/engine_grpc_pb';
import * as enginePb from '@pulumi/pulumi/proto/engine_pb';
import * as resourceGrpc from '@pulumi/pulumi/proto/resource_grpc_pb';
import * as resourcePb from '@pulumi/pulumi/proto/resource_pb';
import { SECRET_SIG, SECRET_VALUE, secretWire, startPlugin, type PluginClient, type Props } from './plugin-client';

export interface ResourceState {
  type: string;
  name: string;
  id: string;
  inputs: Props;
  outputs: Props;
  /** Output keys to return as secrets (secret inputs and additionalSecretOutputs). */
  secretKeys: string[];
}

/** The JSON state file. Add fields, never rename. */
export interface StackState {
  resources: Record<string, ResourceState>;
  /** URNs in creation order (deletes run in reverse). */
  order: string[];
  outputs: Props;
  secretOutputs: string[];
}

export type StepOp = 'create' | 'same' | 'update' | 'replace' | 'delete' | 'refresh' | 'refresh-gone';
export interface Step {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  replaces?: string[];
}

export interface EngineOptions {
  /** Directory holding the program (index.ts / index.js). */
  programDir: string;
  project: string;
  stack: string;
  stateFile: string;
  /** Stack config, fully qualified keys (`tfgrid:network`). */
  config?: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretConfig?: string[];
  /** Directory the plugin runs in (where `require()`s of the serialized providers resolve). */
  pluginCwd: string;
  /** Environment for the plugin process (TFGRID_PROVIDER_MODULE, TFGRID_GRID_FACTORY, …). */
  pluginEnv?: NodeJS.ProcessEnv;
  /** Environment for the program process. */
  programEnv?: NodeJS.ProcessEnv;
}

export interface RunResult {
  ok: boolean;
  steps: Step[];
  outputs: Props;
  secretOutputs: string[];
  errors: string[];
  /** Program stdout + stderr, for debugging failed runs. */
  log: string;
}

const isSecretWire = (v: unknown): v is { value: unknown } => !!v && typeof v === 'object' && (v as Props)[SECRET_SIG] === SECRET_VALUE;

/** Removes secret wrappers; returns the plain value and the top-level keys that were secret. */
export function unwrapSecrets(props: Props): { plain: Props; secretKeys: string[] } {
  const secretKeys: string[] = [];
  const deep = (v: unknown): unknown => {
    if (isSecretWire(v)) return deep(v.value);
    if (Array.isArray(v)) return v.map(deep);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Props).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  const plain: Props = {};
  for (const [k, v] of Object.entries(props)) {
    if (JSON.stringify(v ?? null).includes(SECRET_SIG)) secretKeys.push(k);
    plain[k] = deep(v);
  }
  return { plain, secretKeys };
}

function wrapSecrets(props: Props, keys: string[]): Props {
  const out: Props = { ...props };
  for (const k of keys) if (k in out && out[k] !== undefined) out[k] = secretWire(out[k]);
  return out;
}

const toStruct = (p: Props): Struct => Struct.fromJavaScript(JSON.parse(JSON.stringify(p)) as Record<string, never>);

export function readState(file: string): StackState {
  if (!fs.existsSync(file)) return { resources: {}, order: [], outputs: {}, secretOutputs: [] };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as StackState;
}

function writeState(file: string, s: StackState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

async function withPlugin<T>(opts: EngineOptions, fn: (p: PluginClient) => Promise<T>): Promise<T> {
  const plugin = await startPlugin({ cwd: opts.pluginCwd, env: { PULUMI_NODEJS_PROJECT: opts.project, ...opts.pluginEnv } });
  try {
    const vars: Props = {};
    for (const [k, v] of Object.entries(opts.config ?? {})) vars[k] = opts.secretConfig?.includes(k) ? secretWire(v) : v;
    await plugin.configure(vars);
    return await fn(plugin);
  } finally {
    await plugin.stop();
  }
}

const errText = (e: unknown): string => ((e as grpc.ServiceError)?.details ?? (e as Error)?.message ?? String(e));

/** Runs the program: `preview` only checks and diffs; otherwise creates, updates, replaces and deletes. */
export async function up(opts: EngineOptions, mode: { preview?: boolean } = {}): Promise<RunResult> {
  const preview = mode.preview === true;
  const state = readState(opts.stateFile);
  const steps: Step[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  let stackOutputs: Props = {};
  let stackSecretKeys: string[] = [];
  let rootUrn = '';

  return withPlugin(opts, async (plugin) => {
    const urnOf = (type: string, name: string) => `urn:pulumi:${opts.stack}::${opts.project}::${type}::${name}`;
    const save = () => {
      if (!preview) writeState(opts.stateFile, state);
    };
    const record = (urn: string, r: ResourceState) => {
      state.resources[urn] = r;
      if (!state.order.includes(urn)) state.order.push(urn);
      save();
    };
    const forget = (urn: string) => {
      delete state.resources[urn];
      state.order = state.order.filter((u) => u !== urn);
      save();
    };

    async function register(req: resourcePb.RegisterResourceRequest): Promise<{ urn: string; id: string; object: Props }> {
      const type = req.getType();
      const name = req.getName();
      const urn = urnOf(type, name);
      seen.add(urn);
      if (!req.getCustom()) return { urn, id: '', object: {} };
      const { plain: news, secretKeys } = unwrapSecrets((req.getObject()?.toJavaScript() ?? {}) as Props);
      const secrets = [...new Set([...secretKeys, ...req.getAdditionalsecretoutputsList()])];
      const old = state.resources[urn];
      const checked = await plugin.check(urn, old?.inputs ?? {}, news);
      if (checked.failures.length > 0) throw new Error(checked.failures.map((f) => `${f.property}: ${f.reason}`).join('; '));
      const inputs = checked.inputs;
      const create = async (): Promise<ResourceState> => {
        try {
          const r = await plugin.create(urn, inputs);
          return { type, name, id: r.id, inputs, outputs: r.properties, secretKeys: secrets };
        } catch (err) {
          const partial = plugin.initFailure(err);
          if (partial) record(urn, { type, name, id: partial.id, inputs, outputs: partial.properties, secretKeys: secrets });
          throw err;
        }
      };
      if (!old) {
        steps.push({ op: 'create', urn, type, name });
        if (preview) return { urn, id: '', object: inputs };
        const r = await create();
        record(urn, r);
        return { urn, id: r.id, object: r.outputs };
      }
      const d = await plugin.diff(urn, old.id, old.outputs, inputs);
      if (d.replaces.length > 0) {
        steps.push({ op: 'replace', urn, type, name, replaces: d.replaces });
        if (preview) return { urn, id: old.id, object: inputs };
        if (d.deleteBeforeReplace) {
          await plugin.delete(urn, old.id, old.outputs);
          forget(urn);
          const r = await create();
          record(urn, r);
          return { urn, id: r.id, object: r.outputs };
        }
        const r = await create();
        await plugin.delete(urn, old.id, old.outputs);
        record(urn, r);
        return { urn, id: r.id, object: r.outputs };
      }
      const inputsChanged = JSON.stringify({ ...old.inputs, __provider: 0 }) !== JSON.stringify({ ...inputs, __provider: 0 });
      if (d.changes === 2 || (d.changes === 0 && inputsChanged)) {
        steps.push({ op: 'update', urn, type, name });
        // As the real engine does for a provider without preview support (dynamic providers): the new inputs only,
        // so every other output reads as unknown in the program and dependants preview the possible change.
        if (preview) return { urn, id: old.id, object: inputs };
        const r = await plugin.update(urn, old.id, old.outputs, inputs);
        record(urn, { ...old, inputs, outputs: r.properties, secretKeys: secrets });
        return { urn, id: old.id, object: r.properties };
      }
      steps.push({ op: 'same', urn, type, name });
      return { urn, id: old.id, object: old.outputs };
    }

    const server = new grpc.Server();
    const monitor: Partial<Record<string, grpc.handleUnaryCall<never, never>>> = {
      supportsFeature: ((call: grpc.ServerUnaryCall<resourcePb.SupportsFeatureRequest, resourcePb.SupportsFeatureResponse>, cb: grpc.sendUnaryData<resourcePb.SupportsFeatureResponse>) => {
        const res = new resourcePb.SupportsFeatureResponse();
        res.setHassupport(call.request.getId() === 'secrets');
        cb(null, res);
      }) as never,
      registerResource: ((call: grpc.ServerUnaryCall<resourcePb.RegisterResourceRequest, resourcePb.RegisterResourceResponse>, cb: grpc.sendUnaryData<resourcePb.RegisterResourceResponse>) => {
        register(call.request).then(
          (r) => {
            const res = new resourcePb.RegisterResourceResponse();
            res.setUrn(r.urn);
            res.setId(r.id);
            const keys = state.resources[r.urn]?.secretKeys ?? [];
            res.setObject(toStruct(wrapSecrets(r.object, keys)));
            cb(null, res);
          },
          (err) => {
            errors.push(`${call.request.getType()} ${call.request.getName()}: ${errText(err)}`);
            onFailure();
            cb({ code: grpc.status.UNKNOWN, details: errText(err) }, null);
          },
        );
      }) as never,
      registerResourceOutputs: ((call: grpc.ServerUnaryCall<resourcePb.RegisterResourceOutputsRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
        if (call.request.getUrn() === rootUrn || call.request.getUrn().includes('::pulumi:pulumi:Stack::')) {
          const u = unwrapSecrets((call.request.getOutputs()?.toJavaScript() ?? {}) as Props);
          stackOutputs = u.plain;
          stackSecretKeys = u.secretKeys;
        }
        cb(null, new Empty());
      }) as never,
      signalAndWaitForShutdown: ((_c: unknown, cb: grpc.sendUnaryData<Empty>) => cb(null, new Empty())) as never,
      getDeploymentInfo: ((_c: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED }, null)) as never,
      invoke: ((_c: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED }, null)) as never,
      readResource: ((_c: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED }, null)) as never,
    };
    const engine = {
      log: ((call: grpc.ServerUnaryCall<enginePb.LogRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
        if (call.request.getSeverity() === enginePb.LogSeverity.ERROR) errors.push(call.request.getMessage());
        cb(null, new Empty());
      }) as never,
      getRootResource: ((_c: unknown, cb: grpc.sendUnaryData<enginePb.GetRootResourceResponse>) => {
        const res = new enginePb.GetRootResourceResponse();
        res.setUrn(rootUrn);
        cb(null, res);
      }) as never,
      setRootResource: ((call: grpc.ServerUnaryCall<enginePb.SetRootResourceRequest, enginePb.SetRootResourceResponse>, cb: grpc.sendUnaryData<enginePb.SetRootResourceResponse>) => {
        rootUrn = call.request.getUrn();
        cb(null, new enginePb.SetRootResourceResponse());
      }) as never,
      requirePulumiVersion: ((_c: unknown, cb: grpc.sendUnaryData<never>) => cb(null, new enginePb.RequirePulumiVersionResponse() as never)) as never,
    };
    server.addService(resourceGrpc.ResourceMonitorService, monitor as never);
    server.addService(engineGrpc.EngineService, engine as never);
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const address = `127.0.0.1:${port}`;

    let log = '';
    // The SDK lingers for a long time after a failed registration (it waits on its other outstanding RPCs); like
    // the real engine, stop the program a few seconds after the first failure.
    let onFailure: () => void = () => {};
    const code = await new Promise<number>((resolve) => {
      // As the Pulumi CLI's language host: the program's own @pulumi/pulumi runs it (one copy shared with the
      // program and its packages); TypeScript is compiled by this checkout's @swc-node/register, given by path so
      // a project outside the checkout (a user's, with the published package) runs too.
      const runner = require.resolve('@pulumi/pulumi/cmd/run', { paths: [opts.programDir, __dirname] });
      const tsRegister = require.resolve('@swc-node/register');
      const config = opts.config ?? {};
      const child = spawn(
        process.execPath,
        ['-r', tsRegister, runner, `--monitor=${address}`, `--engine=${address}`, `--project=${opts.project}`, `--stack=${opts.stack}`, `--pwd=${opts.programDir}`, ...(preview ? ['--dry-run'] : []), '.'],
        {
          cwd: opts.programDir,
          env: {
            ...process.env,
            ...opts.programEnv,
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(opts.secretConfig ?? []),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      let killTimer: NodeJS.Timeout | undefined;
      onFailure = () => {
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), 3000);
      };
      if (errors.length > 0) onFailure();
      child.on('exit', (c) => {
        if (killTimer) clearTimeout(killTimer);
        resolve(c ?? 1);
      });
    });

    let ok = code === 0 && errors.length === 0;
    if (ok) {
      // Resources in state that this run did not register are deleted, newest first.
      for (const urn of [...state.order].reverse()) {
        if (seen.has(urn)) continue;
        const r = state.resources[urn];
        steps.push({ op: 'delete', urn, type: r.type, name: r.name });
        if (preview) continue;
        try {
          await plugin.delete(urn, r.id, r.outputs);
          forget(urn);
        } catch (err) {
          errors.push(`delete ${urn}: ${errText(err)}`);
          ok = false;
        }
      }
      if (!preview) {
        state.outputs = stackOutputs;
        state.secretOutputs = stackSecretKeys;
        save();
      }
    }
    server.forceShutdown();
    return { ok, steps, outputs: stackOutputs, secretOutputs: stackSecretKeys, errors, log };
  });
}

/** Reads every resource back through the provider; drops those reported gone. */
export async function refresh(opts: EngineOptions): Promise<RunResult> {
  const state = readState(opts.stateFile);
  const steps: Step[] = [];
  const errors: string[] = [];
  await withPlugin(opts, async (plugin) => {
    for (const urn of [...state.order]) {
      const r = state.resources[urn];
      try {
        const res = await plugin.read(urn, r.id, r.outputs);
        if (!res.id) {
          steps.push({ op: 'refresh-gone', urn, type: r.type, name: r.name });
          delete state.resources[urn];
          state.order = state.order.filter((u) => u !== urn);
        } else {
          steps.push({ op: 'refresh', urn, type: r.type, name: r.name });
          state.resources[urn] = { ...r, id: res.id, outputs: res.properties };
        }
      } catch (err) {
        errors.push(`refresh ${urn}: ${errText(err)}`);
      }
    }
  });
  writeState(opts.stateFile, state);
  return { ok: errors.length === 0, steps, outputs: state.outputs, secretOutputs: state.secretOutputs, errors, log: '' };
}

/** Deletes everything in state, newest first. */
export async function destroy(opts: EngineOptions): Promise<RunResult> {
  const state = readState(opts.stateFile);
  const steps: Step[] = [];
  const errors: string[] = [];
  await withPlugin(opts, async (plugin) => {
    for (const urn of [...state.order].reverse()) {
      const r = state.resources[urn];
      try {
        await plugin.delete(urn, r.id, r.outputs);
        steps.push({ op: 'delete', urn, type: r.type, name: r.name });
        delete state.resources[urn];
        state.order = state.order.filter((u) => u !== urn);
      } catch (err) {
        errors.push(`delete ${urn}: ${errText(err)}`);
      }
    }
  });
  state.outputs = {};
  state.secretOutputs = [];
  writeState(opts.stateFile, state);
  return { ok: errors.length === 0, steps, outputs: {}, secretOutputs: [], errors, log: '' };
}
