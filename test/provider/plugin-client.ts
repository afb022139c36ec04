/**
 * Starts the dynamic-provider plugin that ships inside @pulumi/pulumi and drives it over gRPC exactly as the
 * engine does (pulumi-notes.md §3b): Configure, Check, Diff, Create, Read, Update, Delete, with property bags as
 * protobuf Structs, secrets in the engine's wire form, and `ErrorResourceInitFailed` decoded from a failed create.
 * @module
 */
import { spawn, type ChildProcess } from 'child_process';
import * as grpc from '@grpc/grpc-js';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import * as providerGrpc from '@pulumi/pulumi/proto/provider_grpc_pb';
import * as providerPb from '@pulumi/pulumi/proto/provider_pb';
import * as statusPb from '@pulumi/pulumi/proto/status_pb';

export type Props = Record<string, unknown>;

/** The engine's wire form of a secret (`@pulumi/pulumi/runtime/rpc.js`). */
export const SECRET_SIG = '4dabf18193072939515e22adb298388d';
export const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';
export const secretWire = (value: unknown): Props => ({ [SECRET_SIG]: SECRET_VALUE, value });

export interface InitFailure {
  id: string;
  properties: Props;
  reasons: string[];
}

export interface PluginClient {
  configure(vars: Props): Promise<void>;
  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: number; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(urn: string, props: Props): Promise<{ id: string; properties: Props }>;
  read(urn: string, id: string, props: Props, inputs?: Props): Promise<{ id: string; properties: Props; inputs: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(urn: string, id: string, props: Props): Promise<void>;
  /** The decoded `ErrorResourceInitFailed` of a failed create/update, if the error carries one. */
  initFailure(err: unknown): InitFailure | undefined;
  readonly address: string;
  stop(): Promise<void>;
}

const struct = (p: Props): Struct => Struct.fromJavaScript(JSON.parse(JSON.stringify(p)) as Record<string, never>);
const js = (s: Struct | undefined): Props => (s ? (s.toJavaScript() as Props) : {});

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

/**
 * Spawns `node @pulumi/pulumi/cmd/dynamic-provider <engine>` in `cwd` (where the serialized provider's `require`s
 * resolve) and connects to the port it prints.
 */
export async function startPlugin(opts: { cwd: string; env?: NodeJS.ProcessEnv; engineAddress?: string }): Promise<PluginClient> {
  // The project's own @pulumi/pulumi, as `pulumi-resource-pulumi-nodejs` runs it from the project directory.
  const entry = require.resolve('@pulumi/pulumi/cmd/dynamic-provider', { paths: [opts.cwd, __dirname] });
  const child: ChildProcess = spawn(process.execPath, [entry, opts.engineAddress ?? '127.0.0.1:1'], {
    cwd: opts.cwd,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: 'proj', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && /^\d+$/.test(line.trim())) resolve(Number(line.trim()));
    });
    child.on('exit', (code) => reject(new Error(`dynamic-provider plugin exited with ${code}: ${stderr}`)));
  });
  const address = `127.0.0.1:${port}`;
  const client = new providerGrpc.ResourceProviderClient(address, grpc.credentials.createInsecure());
  const c = client as unknown as Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => unknown>;
  const bind = (name: string) => c[name].bind(client) as (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => unknown;

  return {
    address,
    async configure(vars) {
      const req = new providerPb.ConfigureRequest();
      req.setArgs(struct(vars));
      req.setAcceptsecrets(true);
      await call(bind('configure'), req);
    },
    async check(urn, olds, news) {
      const req = new providerPb.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = (await call(bind('check'), req)) as providerPb.CheckResponse;
      return { inputs: js(res.getInputs()), failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
    },
    async diff(urn, id, olds, news) {
      const req = new providerPb.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = (await call(bind('diff'), req)) as providerPb.DiffResponse;
      return { changes: res.getChanges(), replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, props) {
      const req = new providerPb.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(props));
      const res = (await call(bind('create'), req)) as providerPb.CreateResponse;
      return { id: res.getId(), properties: js(res.getProperties()) };
    },
    async read(urn, id, props, inputs) {
      const req = new providerPb.ReadRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      if (inputs) req.setInputs(struct(inputs));
      const res = (await call(bind('read'), req)) as providerPb.ReadResponse;
      return { id: res.getId(), properties: js(res.getProperties()), inputs: js(res.getInputs()) };
    },
    async update(urn, id, olds, news) {
      const req = new providerPb.UpdateRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = (await call(bind('update'), req)) as providerPb.UpdateResponse;
      return { properties: js(res.getProperties()) };
    },
    async delete(urn, id, props) {
      const req = new providerPb.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      await call(bind('delete'), req);
    },
    initFailure(err) {
      const md = (err as grpc.ServiceError | undefined)?.metadata?.get('grpc-status-details-bin');
      if (!md || md.length === 0) return undefined;
      const status = statusPb.Status.deserializeBinary(new Uint8Array(md[0] as Buffer));
      const detail = status.getDetailsList()[0];
      if (!detail) return undefined;
      const f = providerPb.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      return { id: f.getId(), properties: js(f.getProperties()), reasons: f.getReasonsList() };
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
