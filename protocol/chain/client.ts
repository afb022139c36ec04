/**
 * The TFChain client: one `@polkadot/api` connection (failover over an endpoint list, auto-reconnect), typed
 * reads validated with zod, and signed calls for twins, farms, nodes and contracts (rmb-tfchain.md §B1–§B4).
 * `createChainClient(opts)` connects; `client.withSigner(x)` gives the same connection another signing key.
 * @module
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import { probeEndpoints } from './probe';
import { u8aToHex } from '@polkadot/util';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { ChainError, InputError, InternalError, errorText } from '../common/errors';
import { cryptoReady, type Identity, type KeyType } from '../common/identity';
import { silentLogger, type Logger } from '../common/log';
import { resolveChainEndpoints } from './networks';
import { TxSubmitter, type EventRecord, type Extrinsic } from './tx';
import {
  contractSchema,
  farmSchema,
  nodeContractResourcesSchema,
  nodeSchema,
  twinSchema,
  type Contract,
  type Farm,
  type FarmPublicIp,
  type Node,
  type NodeContract,
  type NameContract,
  type RentContract,
  type Resources,
  type Twin,
} from './types';
import { subscribeContractEvents, type ContractEvent } from './events';
import { RPC_REFCOUNT_DELAY_MS, unrefRpcTeardownTimers } from './rpc-teardown';

/** A signing key: an Identity (mnemonic/seed) or, for dev chains only, a substrate URI such as `//Alice`. */
export type ChainSigner = Identity | { uri: string; type: KeyType };

export interface ChainClientOptions {
  /** Named network (`local`, `devnet`, `qanet`, `testnet`, `mainnet`); ignored when `urls` is given. */
  network?: string;
  /** Explicit endpoints, tried in order. */
  urls?: readonly string[];
  signer?: ChainSigner;
  log?: Logger;
  /** How long to wait for the first connection across all endpoints (default 30 s). */
  connectTimeoutMs?: number;
}

/** Terms the deployer accepts before creating a twin (the link grid_client uses). */
export const DEFAULT_TERMS = {
  link: 'https://library.threefold.me/info/legal/#/',
  // The chain wants an ASCII digest here (≤ 50 bytes); the hex MD5 of the document link is what clients send.
  hash: '4d2f7b5e4bfc2d1dc8e7b8d6a8d0f7b5',
};

/** Upper bound of `deployment_data` (runtime `MaxDeploymentDataLength`). */
export const MAX_DEPLOYMENT_DATA = 512;

/** One contract operation; several go into one `utility.batchAll` with `client.batch(ops)`. */
export type ContractOp =
  | { op: 'createNodeContract'; nodeId: number; hash: string; data?: string; publicIps?: number; solutionProviderId?: number }
  | { op: 'updateNodeContract'; contractId: number; hash: string; data?: string }
  | { op: 'cancelContract'; contractId: number }
  | { op: 'createNameContract'; name: string }
  | { op: 'createRentContract'; nodeId: number; solutionProviderId?: number };

/** The result of one operation: the contract it created or touched (cancel: the id only). */
export type ContractOpResult =
  | { op: 'createNodeContract' | 'updateNodeContract'; contractId: number; contract: NodeContract }
  | { op: 'createNameContract'; contractId: number; contract: NameContract }
  | { op: 'createRentContract'; contractId: number; contract: RentContract }
  | { op: 'cancelContract'; contractId: number };

export interface NodeRegistration {
  farmId: number;
  resources: { hru: bigint; sru: bigint; cru: bigint; mru: bigint };
  location?: { city: string; country: string; latitude: string; longitude: string };
  interfaces?: { name: string; mac: string; ips: string[] }[];
  secureBoot?: boolean;
  virtualized?: boolean;
  serialNumber?: string;
}

export interface NodePublicConfigInput {
  ip4: { ip: string; gw: string };
  ip6?: { ip: string; gw: string };
  domain?: string;
}

/**
 * What deployers, the node runtime, the relay and the local grid need from TFChain. Reads return
 * `undefined` for "not on chain"; writes need a signer and throw `ChainError` with the pallet error and fix.
 */
export interface ChainClient {
  /** The signer's SS58 address, when there is a signer. */
  readonly address: string | undefined;
  readonly endpoints: readonly string[];
  /** The same connection with another signing key (shares nonce tracking per account). */
  withSigner(signer: ChainSigner): Promise<ChainClient>;

  // twins
  /** TwinDirectory: the twin, or a ChainError when it does not exist. */
  getTwin(id: number): Promise<Twin>;
  findTwin(id: number): Promise<Twin | undefined>;
  getTwinIdByAccount(address: string): Promise<number | undefined>;
  /** The signer's twin id, if it has one. */
  myTwinId(): Promise<number | undefined>;
  /** Finds the signer's twin or accepts the terms and creates it; updates relay/pk when they differ. */
  ensureTwin(opts?: { relay?: string; pk?: Uint8Array }): Promise<Twin>;
  acceptTerms(terms?: { link: string; hash: string }): Promise<void>;
  createTwin(opts?: { relay?: string; pk?: Uint8Array }): Promise<Twin>;
  updateTwin(opts: { relay?: string; pk?: Uint8Array }): Promise<Twin>;

  // contracts
  createNodeContract(o: Omit<Extract<ContractOp, { op: 'createNodeContract' }>, 'op'>): Promise<NodeContract>;
  updateNodeContract(o: Omit<Extract<ContractOp, { op: 'updateNodeContract' }>, 'op'>): Promise<NodeContract>;
  cancelContract(contractId: number): Promise<void>;
  /**
   * Bills a contract now (`billContractForBlock`, tfchain_client's `unlock`): a contract in its grace period
   * leaves it when its twin can pay again. Any signed account may call it.
   */
  billContract(contractId: number): Promise<void>;
  createNameContract(name: string): Promise<NameContract>;
  createRentContract(nodeId: number, solutionProviderId?: number): Promise<RentContract>;
  /** All ops in one `utility.batchAll` (all or nothing); results in op order. */
  batch(ops: readonly ContractOp[]): Promise<ContractOpResult[]>;
  getContract(id: number): Promise<Contract | undefined>;
  getContractIdByNodeHash(nodeId: number, hash: string): Promise<number | undefined>;
  getContractIdByName(name: string): Promise<number | undefined>;
  getActiveRentContract(nodeId: number): Promise<number | undefined>;
  /** Active node contract ids on a node. */
  getNodeContracts(nodeId: number): Promise<number[]>;
  /** Every non-deleted contract of a twin (scans contracts: fine on local/dev chains, slow on mainnet). */
  getTwinActiveContracts(twinId: number): Promise<Contract[]>;

  // grid
  getNode(id: number): Promise<Node | undefined>;
  getNodeIdByTwin(twinId: number): Promise<number | undefined>;
  getNodesByFarm(farmId: number): Promise<number[]>;
  getFarm(id: number): Promise<Farm | undefined>;
  getFarmIdByName(name: string): Promise<number | undefined>;
  getFreePublicIps(farmId: number): Promise<FarmPublicIp[]>;
  /** Resources reported as used by the node's active contracts (`nodeContractResources`). */
  getNodeUsedCapacity(nodeId: number): Promise<Resources>;
  createFarm(name: string, publicIps?: { ip: string; gw: string }[]): Promise<Farm>;
  addFarmIp(farmId: number, ip: string, gw: string): Promise<void>;
  createNode(n: NodeRegistration): Promise<Node>;
  addNodePublicConfig(farmId: number, nodeId: number, cfg: NodePublicConfigInput): Promise<void>;
  /** Several nodes' public configs in one `utility.batchAll` (one block; all or none are set). */
  addNodePublicConfigs(farmId: number, configs: readonly { nodeId: number; config: NodePublicConfigInput }[]): Promise<void>;
  setFarmDedicated(farmId: number, dedicated: boolean): Promise<void>;

  // balances
  getBalance(address: string): Promise<bigint>;
  transfer(to: string, amount: bigint): Promise<void>;
  /** Several transfers in one `utility.batchAll` (one block). */
  transferMany(transfers: readonly { to: string; amount: bigint }[]): Promise<void>;

  /** Contract cancelled / grace period started (locked) / ended (unlocked). Resolves to an unsubscribe. */
  subscribeContractEvents(handler: (e: ContractEvent) => void): Promise<() => void>;
  /** Current best block number. */
  blockNumber(): Promise<number>;
  /** The underlying API, for the local chain tooling only (dev RPCs). */
  readonly api: ApiPromise;
  /**
   * Disconnects and resolves once the socket is closed; nothing that keeps the process alive is left
   * (polkadot-js's delayed unsubscribes run unref'd: rpc-teardown.ts). Only the client from
   * createChainClient owns the connection; withSigner views do nothing.
   */
  close(): Promise<void>;
}

const HASH_RE = /^[0-9a-f]{32}$/;

function checkHash(hash: string, path: string): void {
  if (!HASH_RE.test(hash)) {
    const fix = 'pass the hex MD5 of the deployment challenge, lowercase, without 0x';
    throw new InputError(`${path} "${hash}" is not 32 lowercase hex characters; ${fix}`, {
      path,
      fix,
    });
  }
}

function checkData(data: string, path: string): void {
  const n = Buffer.byteLength(data, 'utf8');
  if (n > MAX_DEPLOYMENT_DATA) {
    const fix = 'shorten the deployment name/description kept in contract data';
    throw new InputError(`${path} is ${n} bytes; the chain allows at most ${MAX_DEPLOYMENT_DATA}; ${fix}`, {
      path,
      fix,
    });
  }
}

function checkName(name: string): void {
  if (!/^[a-z0-9_-]{3,64}$/.test(name)) {
    const fix = 'use 3 to 64 characters of [a-z0-9_-]';
    throw new InputError(`name "${name}" is not a valid name contract name; ${fix}`, {
      path: 'name',
      fix,
    });
  }
}

function optionNumber(c: { toJSON(): unknown }): number | undefined {
  const j = c.toJSON();
  if (j === null || j === undefined) return undefined;
  const n = Number(j);
  return n === 0 ? undefined : n;
}

function parseWith<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } }, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new ChainError(`${what}: chain returned data this client does not understand: ${r.error.message}`, { fix: 'check the chain runtime version' });
  return r.data;
}

/** Connection shared by every signer view. */
interface Shared {
  api: ApiPromise;
  provider: WsProvider;
  /** False when rxjs could not be told to unref polkadot's teardown timers: close() then waits them out. */
  teardownUnref: boolean;
  /** Stops logging connection losses (close() disconnects on purpose). */
  stopConnectionLog: () => void;
  submitter: TxSubmitter;
  endpoints: string[];
  log: Logger;
  keyring: Record<KeyType, Keyring>;
}

async function toPair(shared: Shared, signer: ChainSigner): Promise<KeyringPair> {
  await cryptoReady();
  const pair = 'uri' in signer ? shared.keyring[signer.type].addFromUri(signer.uri) : shared.keyring[signer.type].addFromSeed(signer.seed);
  // TFChain signatures are MultiSignature (type byte + 64 bytes). polkadot-js decides `withType` with an
  // `instanceof Enum` check that fails when node_modules holds two copies of @polkadot/types-codec (it does:
  // chopsticks pins 14.x util), so say it explicitly.
  return new Proxy(pair, {
    get(target, prop, receiver) {
      if (prop === 'sign') {
        return (message: Uint8Array, options?: { withType?: boolean }) => target.sign(message, { ...options, withType: true });
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * Connects to TFChain. Without a signer the client reads only.
 * @example
 *   const chain = await createChainClient({ network: 'devnet', signer: identityFromSecret(mnemonic, 'sr25519') });
 *   const twin = await chain.ensureTwin({ relay: 'relay.dev.grid.tf' });
 */
export async function createChainClient(opts: ChainClientOptions = {}): Promise<ChainClient> {
  const endpoints = resolveChainEndpoints(opts);
  const log = opts.log ?? silentLogger;
  const timeoutMs = opts.connectTimeoutMs ?? 30_000;
  // A refusal is an answer: fail at once, saying what answered; only silence waits for the deadline.
  const probes = await probeEndpoints(endpoints, Math.min(timeoutMs, 5_000));
  if (probes.every((p) => p.kind === 'refused')) {
    const fix = 'check tfgrid:chainUrls (a TFChain websocket such as ws://127.0.0.1:8000), or start a local chain with `tfgrid local up`';
    const what = probes.map((p) => `${p.url}: ${p.kind === 'refused' ? p.reason : p.kind}`).join('; ');
    throw new ChainError(`connect to TFChain: ${what}; ${fix}`, { fix, endpoints: probes }, {});
  }
  // Before the api exists: every teardown interval it arms, from the first call on, must not hold the process.
  const teardownUnref = unrefRpcTeardownTimers();
  const provider = new WsProvider(endpoints, RECONNECT_MS);
  const api = new ApiPromise({ provider, noInitWarn: true });
  // isReadyOrError rejects on the first failed socket; the provider meanwhile rotates to the next endpoint,
  // so wait for isReady (any endpoint) under one deadline instead.
  api.isReadyOrError.catch(() => undefined);
  api.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      api.isReady,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no endpoint answered within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    await disconnectAndWait(provider, api, teardownUnref);
    // the provider's retry timer (armed before disconnect turned retries off) fires once more, doing nothing
    await new Promise((r) => setTimeout(r, RECONNECT_MS));
    const fix = 'check the URLs, or start a local chain with `tfgrid local chain`';
    throw new ChainError(`connect to TFChain (${endpoints.join(', ')}): ${errorText(err)}; ${fix}`, { fix }, { cause: err });
  } finally {
    if (timer) clearTimeout(timer);
  }
  // Removed by close(): a disconnect we asked for is not a lost connection.
  const offLost = provider.on('disconnected', () => log.warn('tfchain connection lost, reconnecting', { endpoints }));
  const offConnected = provider.on('connected', () => log.info('tfchain connected', { endpoint: provider.endpoint }));
  await cryptoReady();
  const shared: Shared = {
    api,
    provider,
    teardownUnref,
    stopConnectionLog: () => {
      offLost();
      offConnected();
    },
    submitter: new TxSubmitter(api),
    endpoints,
    log,
    keyring: { sr25519: new Keyring({ type: 'sr25519', ss58Format: 42 }), ed25519: new Keyring({ type: 'ed25519', ss58Format: 42 }) },
  };
  const pair = opts.signer ? await toPair(shared, opts.signer) : undefined;
  return new PolkadotChainClient(shared, pair, { owner: true });
}

/** The WsProvider's delay between connection attempts, rotating through the endpoints. */
const RECONNECT_MS = 2000;

/**
 * Disconnects and waits (at most `ms`) for the socket to close: `api.disconnect()` resolves once the close
 * frame is sent, and ws keeps a timer until the server answers. polkadot-js then still ends its
 * subscriptions on 1750 ms intervals (`refCountDelay`); those are unref'd (rpc-teardown.ts), so only when
 * that could not be arranged (`teardownUnref` false) does this wait them out, leaving no timer behind.
 */
async function disconnectAndWait(provider: WsProvider, api: ApiPromise, teardownUnref: boolean, ms = 5000): Promise<void> {
  const wasConnected = provider.isConnected;
  let off = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const closed = wasConnected
    ? new Promise<void>((resolve) => {
        off = provider.on('disconnected', () => resolve());
        timer = setTimeout(resolve, ms);
        timer.unref();
      })
    : Promise.resolve();
  try {
    await api.disconnect().catch(() => undefined);
    await closed;
  } finally {
    off();
    if (timer) clearTimeout(timer);
  }
  if (wasConnected && !teardownUnref) await new Promise((r) => setTimeout(r, RPC_REFCOUNT_DELAY_MS + 50));
}

class PolkadotChainClient implements ChainClient {
  constructor(
    private readonly s: Shared,
    private readonly pair: KeyringPair | undefined,
    private readonly flags: { owner: boolean },
  ) {}

  get address(): string | undefined {
    return this.pair?.address;
  }
  get endpoints(): readonly string[] {
    return this.s.endpoints;
  }
  get api(): ApiPromise {
    return this.s.api;
  }

  async withSigner(signer: ChainSigner): Promise<ChainClient> {
    return new PolkadotChainClient(this.s, await toPair(this.s, signer), { owner: false });
  }

  private signer(what: string): KeyringPair {
    if (!this.pair) throw new InputError(`${what}: this chain client has no signing key`, { fix: 'pass a mnemonic (signer) to createChainClient' });
    return this.pair;
  }

  private async send(tx: Extrinsic, what: string, ctx: Record<string, unknown> = {}): Promise<EventRecord[]> {
    const out = await this.s.submitter.submit(tx, this.signer(what), what, ctx);
    return out.events;
  }

  private get q() {
    return this.s.api.query;
  }
  private get tx() {
    return this.s.api.tx;
  }

  // ---- twins ----
  async findTwin(id: number): Promise<Twin | undefined> {
    const j = (await this.q.tfgridModule.twins(id)).toJSON();
    if (j === null) return undefined;
    return parseWith(twinSchema, j, `read twin ${id}`);
  }

  async getTwin(id: number): Promise<Twin> {
    const t = await this.findTwin(id);
    if (!t) throw new ChainError(`twin ${id} does not exist on chain`, { twin: id, error: 'TwinNotExists', fix: 'check the twin id' });
    return t;
  }

  async getTwinIdByAccount(address: string): Promise<number | undefined> {
    return optionNumber(await this.q.tfgridModule.twinIdByAccountID(address));
  }

  async myTwinId(): Promise<number | undefined> {
    return this.getTwinIdByAccount(this.signer('read own twin').address);
  }

  async acceptTerms(terms = DEFAULT_TERMS): Promise<void> {
    await this.send(this.tx.tfgridModule.userAcceptTc(terms.link, terms.hash), 'accept terms and conditions');
  }

  async createTwin(o: { relay?: string; pk?: Uint8Array } = {}): Promise<Twin> {
    const events = await this.send(this.tx.tfgridModule.createTwin(o.relay ?? null, o.pk ? u8aToHex(o.pk) : null), `create twin for ${this.signer('create twin').address}`);
    const ev = events.find((e) => e.event.section === 'tfgridModule' && e.event.method === 'TwinStored');
    if (!ev) throw new InternalError('createTwin succeeded without a TwinStored event');
    return parseWith(twinSchema, ev.event.data[0].toJSON(), 'TwinStored event');
  }

  async updateTwin(o: { relay?: string; pk?: Uint8Array }): Promise<Twin> {
    const events = await this.send(this.tx.tfgridModule.updateTwin(o.relay ?? null, o.pk ? u8aToHex(o.pk) : null), `update twin of ${this.signer('update twin').address}`);
    const ev = events.find((e) => e.event.section === 'tfgridModule' && e.event.method === 'TwinUpdated');
    if (!ev) throw new InternalError('updateTwin succeeded without a TwinUpdated event');
    return parseWith(twinSchema, ev.event.data[0].toJSON(), 'TwinUpdated event');
  }

  async ensureTwin(o: { relay?: string; pk?: Uint8Array } = {}): Promise<Twin> {
    const id = await this.myTwinId();
    if (id === undefined) {
      const address = this.signer('create twin').address;
      const accepted = (await this.q.tfgridModule.usersTermsAndConditions(address)).toJSON();
      if (Array.isArray(accepted) && accepted.length > 0) return this.createTwin(o);
      // Terms and twin in one batchAll: one block instead of two.
      const events = await this.send(
        this.tx.utility.batchAll([this.tx.tfgridModule.userAcceptTc(DEFAULT_TERMS.link, DEFAULT_TERMS.hash), this.tx.tfgridModule.createTwin(o.relay ?? null, o.pk ? u8aToHex(o.pk) : null)]),
        `accept terms and create twin for ${address}`,
      );
      const ev = events.find((e) => e.event.section === 'tfgridModule' && e.event.method === 'TwinStored');
      if (!ev) throw new InternalError('createTwin succeeded without a TwinStored event');
      return parseWith(twinSchema, ev.event.data[0].toJSON(), 'TwinStored event');
    }
    const twin = await this.getTwin(id);
    const relayDiffers = o.relay !== undefined && twin.relay !== o.relay;
    const pkDiffers = o.pk !== undefined && (!twin.pk || Buffer.compare(Buffer.from(twin.pk), Buffer.from(o.pk)) !== 0);
    if (!relayDiffers && !pkDiffers) return twin;
    return this.updateTwin({
      relay: o.relay ?? twin.relay ?? undefined,
      pk: o.pk ?? twin.pk ?? undefined,
    });
  }

  // ---- contracts ----
  private buildOp(op: ContractOp): { tx: Extrinsic; what: string } {
    const t = this.tx.smartContractModule;
    switch (op.op) {
      case 'createNodeContract':
        checkHash(op.hash, 'hash');
        checkData(op.data ?? '', 'data');
        return {
          tx: t.createNodeContract(op.nodeId, op.hash, op.data ?? '', op.publicIps ?? 0, op.solutionProviderId ?? null),
          what: `create node contract on node ${op.nodeId} (hash ${op.hash}${op.publicIps ? `, ${op.publicIps} public IPs` : ''})`,
        };
      case 'updateNodeContract':
        checkHash(op.hash, 'hash');
        checkData(op.data ?? '', 'data');
        return { tx: t.updateNodeContract(op.contractId, op.hash, op.data ?? ''), what: `update node contract ${op.contractId} to hash ${op.hash}` };
      case 'cancelContract':
        return { tx: t.cancelContract(op.contractId), what: `cancel contract ${op.contractId}` };
      case 'createNameContract':
        checkName(op.name);
        return { tx: t.createNameContract(op.name), what: `create name contract "${op.name}"` };
      case 'createRentContract':
        return { tx: t.createRentContract(op.nodeId, op.solutionProviderId ?? null), what: `create rent contract on node ${op.nodeId}` };
    }
  }

  /** Maps one op to its result from the events it produced. */
  private resultOf(op: ContractOp, events: EventRecord[], what: string): ContractOpResult {
    const sc = events.filter((e) => e.event.section === 'smartContractModule');
    if (op.op === 'cancelContract') {
      const ok = sc.some((e) => /ContractCanceled$/.test(e.event.method));
      if (!ok) throw new InternalError(`${what}: no *ContractCanceled event`);
      return { op: 'cancelContract', contractId: op.contractId };
    }
    const method = op.op === 'updateNodeContract' ? 'ContractUpdated' : 'ContractCreated';
    const ev = sc.find((e) => e.event.method === method);
    if (!ev) throw new InternalError(`${what}: no ${method} event`);
    const contract = parseWith(contractSchema, ev.event.data[0].toJSON(), `${method} event`);
    const expected = op.op === 'createNameContract' ? 'name' : op.op === 'createRentContract' ? 'rent' : 'node';
    if (contract.type !== expected) throw new InternalError(`${what}: ${method} carried a ${contract.type} contract`);
    return { op: op.op, contractId: contract.contractId, contract } as ContractOpResult;
  }

  private async one<R extends ContractOpResult>(op: ContractOp): Promise<R> {
    const { tx, what } = this.buildOp(op);
    const events = await this.send(tx, what, 'contractId' in op ? { contract: op.contractId } : 'nodeId' in op ? { node: op.nodeId } : {});
    return this.resultOf(op, events, what) as R;
  }

  async createNodeContract(o: Omit<Extract<ContractOp, { op: 'createNodeContract' }>, 'op'>): Promise<NodeContract> {
    const r = await this.one<Extract<ContractOpResult, { op: 'createNodeContract' | 'updateNodeContract' }>>({ op: 'createNodeContract', ...o });
    return r.contract;
  }
  async updateNodeContract(o: Omit<Extract<ContractOp, { op: 'updateNodeContract' }>, 'op'>): Promise<NodeContract> {
    const r = await this.one<Extract<ContractOpResult, { op: 'createNodeContract' | 'updateNodeContract' }>>({ op: 'updateNodeContract', ...o });
    return r.contract;
  }
  async cancelContract(contractId: number): Promise<void> {
    await this.one({ op: 'cancelContract', contractId });
  }
  async billContract(contractId: number): Promise<void> {
    await this.send(this.tx.smartContractModule.billContractForBlock(contractId), `bill contract ${contractId}`, { contract: contractId });
  }
  async createNameContract(name: string): Promise<NameContract> {
    const r = await this.one<Extract<ContractOpResult, { op: 'createNameContract' }>>({ op: 'createNameContract', name });
    return r.contract;
  }
  async createRentContract(nodeId: number, solutionProviderId?: number): Promise<RentContract> {
    const r = await this.one<Extract<ContractOpResult, { op: 'createRentContract' }>>({ op: 'createRentContract', nodeId, solutionProviderId });
    return r.contract;
  }

  async batch(ops: readonly ContractOp[]): Promise<ContractOpResult[]> {
    if (ops.length === 0) return [];
    const built = ops.map((o) => this.buildOp(o));
    const what = `batch of ${ops.length} contract operations [${built.map((b) => b.what).join('; ')}]`;
    const events = await this.send(this.tx.utility.batchAll(built.map((b) => b.tx)), what);
    // batchAll emits utility.ItemCompleted after each call: split the events into one slice per op.
    const slices: EventRecord[][] = [[]];
    for (const e of events) {
      if (e.event.section === 'utility' && e.event.method === 'ItemCompleted') slices.push([]);
      else slices[slices.length - 1].push(e);
    }
    if (slices.length < ops.length + 1) throw new InternalError(`${what}: expected ${ops.length} ItemCompleted events, got ${slices.length - 1}`);
    return ops.map((op, i) => this.resultOf(op, slices[i], built[i].what));
  }

  async getContract(id: number): Promise<Contract | undefined> {
    const v = (await this.q.smartContractModule.contracts(id)).toJSON();
    if (v === null) return undefined;
    return parseWith(contractSchema, v, `read contract ${id}`);
  }

  async getContractIdByNodeHash(nodeId: number, hash: string): Promise<number | undefined> {
    checkHash(hash, 'hash');
    return optionNumber(await this.q.smartContractModule.contractIDByNodeIDAndHash(nodeId, hash));
  }

  async getContractIdByName(name: string): Promise<number | undefined> {
    return optionNumber(await this.q.smartContractModule.contractIDByNameRegistration(name));
  }

  async getActiveRentContract(nodeId: number): Promise<number | undefined> {
    return optionNumber(await this.q.smartContractModule.activeRentContractForNode(nodeId));
  }

  async getNodeContracts(nodeId: number): Promise<number[]> {
    const v = (await this.q.smartContractModule.activeNodeContracts(nodeId)).toJSON();
    return Array.isArray(v) ? v.map(Number) : [];
  }

  async getTwinActiveContracts(twinId: number): Promise<Contract[]> {
    const entries = await this.q.smartContractModule.contracts.entries();
    const out: Contract[] = [];
    for (const [, v] of entries) {
      const j = v.toJSON() as { twinId?: number } | null;
      if (!j || j.twinId !== twinId) continue;
      const c = parseWith(contractSchema, j, 'read contracts');
      if (c.state !== 'deleted') out.push(c);
    }
    return out.sort((a, b) => a.contractId - b.contractId);
  }

  // ---- grid ----
  async getNode(id: number): Promise<Node | undefined> {
    const v = (await this.q.tfgridModule.nodes(id)).toJSON();
    if (v === null) return undefined;
    return parseWith(nodeSchema, v, `read node ${id}`);
  }
  async getNodeIdByTwin(twinId: number): Promise<number | undefined> {
    return optionNumber(await this.q.tfgridModule.nodeIdByTwinID(twinId));
  }
  async getNodesByFarm(farmId: number): Promise<number[]> {
    const v = (await this.q.tfgridModule.nodesByFarmID(farmId)).toJSON();
    return Array.isArray(v) ? v.map(Number) : [];
  }
  async getFarm(id: number): Promise<Farm | undefined> {
    const v = (await this.q.tfgridModule.farms(id)).toJSON();
    if (v === null) return undefined;
    return parseWith(farmSchema, v, `read farm ${id}`);
  }
  async getFarmIdByName(name: string): Promise<number | undefined> {
    return optionNumber(await this.q.tfgridModule.farmIdByName(name));
  }
  async getFreePublicIps(farmId: number): Promise<FarmPublicIp[]> {
    const f = await this.getFarm(farmId);
    if (!f) throw new ChainError(`farm ${farmId} does not exist`, { error: 'FarmNotExists', fix: 'check the farm id' });
    return f.publicIps.filter((ip) => ip.contractId === 0);
  }
  async getNodeUsedCapacity(nodeId: number): Promise<Resources> {
    const used: Resources = { hru: 0n, sru: 0n, cru: 0n, mru: 0n };
    for (const cid of await this.getNodeContracts(nodeId)) {
      const v = await this.q.smartContractModule.nodeContractResources(cid);
      if (v.isEmpty) continue;
      const r = parseWith(nodeContractResourcesSchema, v.toJSON(), `read resources of contract ${cid}`);
      used.hru += r.used.hru;
      used.sru += r.used.sru;
      used.cru += r.used.cru;
      used.mru += r.used.mru;
    }
    return used;
  }

  async createFarm(name: string, publicIps: { ip: string; gw: string }[] = []): Promise<Farm> {
    const events = await this.send(
      this.tx.tfgridModule.createFarm(
        name,
        publicIps.map((p) => ({ ip: p.ip, gw: p.gw })),
      ),
      `create farm "${name}"`,
    );
    const ev = events.find((e) => e.event.section === 'tfgridModule' && e.event.method === 'FarmStored');
    if (!ev) throw new InternalError(`create farm "${name}": no FarmStored event`);
    return parseWith(farmSchema, ev.event.data[0].toJSON(), 'FarmStored event');
  }
  async addFarmIp(farmId: number, ip: string, gw: string): Promise<void> {
    await this.send(this.tx.tfgridModule.addFarmIp(farmId, ip, gw), `add public IP ${ip} to farm ${farmId}`);
  }
  async setFarmDedicated(farmId: number, dedicated: boolean): Promise<void> {
    await this.send(this.tx.tfgridModule.setFarmDedicated(farmId, dedicated), `mark farm ${farmId} dedicated=${dedicated}`);
  }
  async createNode(n: NodeRegistration): Promise<Node> {
    const loc = n.location ?? { city: 'Ghent', country: 'Belgium', latitude: '51.05', longitude: '3.71' };
    const events = await this.send(
      this.tx.tfgridModule.createNode(
        n.farmId,
        { hru: n.resources.hru, sru: n.resources.sru, cru: n.resources.cru, mru: n.resources.mru },
        loc,
        (n.interfaces ?? []).map((i) => ({ name: i.name, mac: i.mac, ips: i.ips })),
        n.secureBoot ?? false,
        n.virtualized ?? false,
        n.serialNumber ?? null,
      ),
      `register node on farm ${n.farmId}`,
    );
    const ev = events.find((e) => e.event.section === 'tfgridModule' && e.event.method === 'NodeStored');
    if (!ev) throw new InternalError('createNode: no NodeStored event');
    return parseWith(nodeSchema, ev.event.data[0].toJSON(), 'NodeStored event');
  }
  async addNodePublicConfig(farmId: number, nodeId: number, cfg: NodePublicConfigInput): Promise<void> {
    await this.send(this.publicConfigTx(farmId, nodeId, cfg), `set public config of node ${nodeId}`, { node: nodeId });
  }
  async addNodePublicConfigs(farmId: number, configs: readonly { nodeId: number; config: NodePublicConfigInput }[]): Promise<void> {
    if (configs.length === 0) return;
    if (configs.length === 1) return this.addNodePublicConfig(farmId, configs[0].nodeId, configs[0].config);
    const ids = configs.map((c) => c.nodeId);
    await this.send(this.tx.utility.batchAll(configs.map((c) => this.publicConfigTx(farmId, c.nodeId, c.config))), `set public configs of nodes ${ids.join(', ')} on farm ${farmId}`, { nodes: ids });
  }
  private publicConfigTx(farmId: number, nodeId: number, cfg: NodePublicConfigInput): Extrinsic {
    return this.tx.tfgridModule.addNodePublicConfig(farmId, nodeId, { ip4: cfg.ip4, ip6: cfg.ip6 ?? null, domain: cfg.domain ?? null });
  }

  // ---- balances ----
  async getBalance(address: string): Promise<bigint> {
    const acc = (await this.q.system.account(address)).toJSON() as { data?: { free?: number | string } };
    return BigInt(acc.data?.free ?? 0);
  }
  async transfer(to: string, amount: bigint): Promise<void> {
    await this.send(this.tx.balances.transfer(to, amount), `transfer ${amount} to ${to}`);
  }

  async transferMany(transfers: readonly { to: string; amount: bigint }[]): Promise<void> {
    if (transfers.length === 0) return;
    if (transfers.length === 1) return this.transfer(transfers[0].to, transfers[0].amount);
    await this.send(
      this.tx.utility.batchAll(transfers.map((t) => this.tx.balances.transfer(t.to, t.amount))),
      `transfer to ${transfers.length} accounts (${transfers.map((t) => `${t.amount} to ${t.to}`).join(', ')})`,
    );
  }

  subscribeContractEvents(handler: (e: ContractEvent) => void): Promise<() => void> {
    return subscribeContractEvents(this.s.api, handler, this.s.log);
  }

  async blockNumber(): Promise<number> {
    return (await this.s.api.rpc.chain.getHeader()).number.toNumber();
  }

  async close(): Promise<void> {
    if (!this.flags.owner) return;
    this.s.stopConnectionLog();
    await disconnectAndWait(this.s.provider, this.s.api, this.s.teardownUnref);
  }
}
