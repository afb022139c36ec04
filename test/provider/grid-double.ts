/**
 * An in-memory stand-in for TFChain + ZOS nodes, used by the provider's unit tests until the real local grid
 * (protocol/chain, protocol/rmb, node/) can be driven from tests. It enforces the rules the coordinator depends on,
 * with the node's texts (zos-protocol.md §3.2–§3.5, rmb-tfchain.md §B2): version 0 on create, exactly +1 on update,
 * contract hash == deployment hash (checked asynchronously, as the node does), no in-place update of machines, ips,
 * gateways and zlogs, no disk shrink (`unchanged`), public IPs reserved at contract creation, (node, hash)
 * uniqueness, name-contract uniqueness, and batchAll atomicity. Results appear one poll later, so clients must wait.
 * Fault hooks let tests fail one call. The hash is md5 of canonical JSON, not the ZOS challenge; only consistency
 * between coordinator and double matters here.
 * @module
 */
import { createHash } from 'crypto';
import { ChainError, ZosError } from '../../protocol/common/errors';
import { stableJson } from '../../provider/deployment-coordinator';
import type {
  ChainContractInfo,
  ChainNodeInfo,
  ContractOp,
  ContractOpResult,
  CoordinatorDeps,
  NodeApi,
  NodeCapacity,
  NodePublicConfig,
  ProviderChain,
  WireDeployment,
  WireWorkload,
} from '../../provider/deps';
import { silentLogger, silentProgress } from '../../protocol/common/log';

const NOT_UPDATABLE = new Set(['zmachine', 'zmachine-light', 'ip', 'ipv4', 'gateway-name-proxy', 'gateway-fqdn-proxy', 'zlogs']);

export function doubleHash(d: WireDeployment): string {
  const { contract_id: _c, signature_requirement, workloads, ...rest } = d;
  void _c;
  const body = { ...rest, sr: { ...signature_requirement, signatures: [] }, workloads: workloads.map(({ result: _r, ...w }) => w) };
  return createHash('md5').update(stableJson(body)).digest('hex');
}

interface StoredDeployment {
  d: WireDeployment;
  pendingCheck: boolean;
  log: WireWorkload[];
}

export interface DoubleNodeSpec {
  id: number;
  farmId?: number;
  publicIpv4?: string;
  domain?: string;
  capacity?: NodeCapacity;
}

export interface Counters {
  transactions: number;
  chainOps: number;
  rmbCalls: number;
  deploys: number;
  updates: number;
}

export class GridDouble {
  readonly twin = 7;
  readonly counters: Counters = { transactions: 0, chainOps: 0, rmbCalls: 0, deploys: 0, updates: 0 };
  contracts = new Map<number, ChainContractInfo & { data?: string }>();
  names = new Map<string, number>();
  private nextContract = 1;
  private farmIps = new Map<number, number>();

  /** Everything, as JSON, so a grid can outlive one plugin process (engine tests run several). */
  snapshot(): string {
    return JSON.stringify({
      counters: this.counters,
      contracts: [...this.contracts],
      names: [...this.names],
      nextContract: this.nextContract,
      farmIps: [...this.farmIps],
      nodes: [...this.nodes].map(([id, n]) => [id, { spec: n.spec, down: n.down, deployments: [...n.deployments] }]),
    });
  }

  restore(json: string): void {
    const s = JSON.parse(json) as {
      counters: Counters;
      contracts: [number, ChainContractInfo][];
      names: [string, number][];
      nextContract: number;
      farmIps: [number, number][];
      nodes: [number, { spec: DoubleNodeSpec; down: boolean; deployments: [number, StoredDeployment][] }][];
    };
    Object.assign(this.counters, s.counters);
    this.contracts = new Map(s.contracts);
    this.names = new Map(s.names);
    this.nextContract = s.nextContract;
    this.farmIps = new Map(s.farmIps);
    this.nodes = new Map(s.nodes.map(([id, n]) => [id, { spec: n.spec, down: n.down, ports: new Set<number>(), deployments: new Map(n.deployments) }]));
  }
  nodes = new Map<number, { spec: DoubleNodeSpec; deployments: Map<number, StoredDeployment>; ports: Set<number>; down: boolean }>();
  /** Fail the next call of this name (e.g. 'submit', 'deploy', 'update', 'cancel'). */
  faults = new Map<string, string>();

  constructor(nodes: DoubleNodeSpec[], farmPublicIps = 4) {
    for (const n of nodes) {
      this.nodes.set(n.id, { spec: n, deployments: new Map(), ports: new Set(), down: false });
      this.farmIps.set(n.farmId ?? 1, farmPublicIps);
    }
  }

  private fault(name: string): string | undefined {
    const f = this.faults.get(name);
    if (f !== undefined) this.faults.delete(name);
    return f;
  }

  activeContracts(): ChainContractInfo[] {
    return [...this.contracts.values()].filter((c) => c.state !== 'deleted');
  }

  chain(): ProviderChain {
    return {
      twinId: async () => this.twin,
      submit: async (ops) => this.submit(ops),
      getContract: async (id) => this.contracts.get(id),
      nameContractId: async (name) => this.names.get(name) ?? 0,
      listNodes: async (): Promise<ChainNodeInfo[]> =>
        [...this.nodes.values()].map((n) => ({
          nodeId: n.spec.id,
          twinId: 100 + n.spec.id,
          farmId: n.spec.farmId ?? 1,
          resources: n.spec.capacity ?? { cru: 8, mru: 16 * 2 ** 30, sru: 512 * 2 ** 30, hru: 2 ** 40 },
          publicConfig: n.spec.publicIpv4 ? { ip4: n.spec.publicIpv4, domain: n.spec.domain } : undefined,
        })),
      farmFreePublicIps: async (farm) => this.farmIps.get(farm) ?? 0,
    };
  }

  private submit(ops: ContractOp[]): ContractOpResult[] {
    this.counters.transactions++;
    this.counters.chainOps += ops.length;
    const f = this.fault('submit');
    if (f) throw new ChainError(f, { module: 'smartContractModule', error: f });
    if (ops.some((o) => o.kind === 'cancel')) {
      const fc = this.fault('cancel');
      if (fc) throw new ChainError(fc);
    }
    // batchAll: all or nothing
    const snapshot = { contracts: new Map([...this.contracts].map(([k, v]) => [k, { ...v }])), names: new Map(this.names), next: this.nextContract, ips: new Map(this.farmIps) };
    try {
      return ops.map((op) => this.applyOp(op));
    } catch (err) {
      this.contracts = snapshot.contracts;
      this.names = snapshot.names;
      this.nextContract = snapshot.next;
      this.farmIps = snapshot.ips;
      throw err;
    }
  }

  private applyOp(op: ContractOp): ContractOpResult {
    switch (op.kind) {
      case 'createNode': {
        if (!this.nodes.has(op.nodeId)) throw new ChainError('NodeNotExists', { error: 'NodeNotExists' });
        for (const c of this.contracts.values()) {
          if (c.state !== 'deleted' && c.nodeId === op.nodeId && c.deploymentHash === op.hash) throw new ChainError('ContractIsNotUnique', { error: 'ContractIsNotUnique' });
        }
        const farm = this.nodes.get(op.nodeId)!.spec.farmId ?? 1;
        const free = this.farmIps.get(farm) ?? 0;
        if (op.publicIps > free) throw new ChainError('FarmHasNotEnoughPublicIPsFree', { error: 'FarmHasNotEnoughPublicIPsFree' });
        this.farmIps.set(farm, free - op.publicIps);
        const id = this.nextContract++;
        this.contracts.set(id, { contractId: id, twinId: this.twin, state: 'created', nodeId: op.nodeId, deploymentHash: op.hash, publicIps: op.publicIps, data: op.data });
        return { contractId: id };
      }
      case 'updateNode': {
        const c = this.contracts.get(op.contractId);
        if (!c || c.state === 'deleted') throw new ChainError('ContractNotExists', { error: 'ContractNotExists' });
        c.deploymentHash = op.hash;
        return { contractId: op.contractId };
      }
      case 'cancel': {
        const c = this.contracts.get(op.contractId);
        if (!c || c.state === 'deleted') throw new ChainError('ContractNotExists', { error: 'ContractNotExists' });
        c.state = 'deleted';
        if (c.name) this.names.delete(c.name);
        if (c.nodeId) {
          const farm = this.nodes.get(c.nodeId)!.spec.farmId ?? 1;
          this.farmIps.set(farm, (this.farmIps.get(farm) ?? 0) + (c.publicIps ?? 0));
          this.nodes.get(c.nodeId)!.deployments.delete(op.contractId);
        }
        return { contractId: op.contractId };
      }
      case 'createName': {
        if (this.names.has(op.name)) throw new ChainError('NameExists', { error: 'NameExists' });
        const id = this.nextContract++;
        this.contracts.set(id, { contractId: id, twinId: this.twin, state: 'created', name: op.name });
        this.names.set(op.name, id);
        return { contractId: id };
      }
    }
  }

  /** Someone else (another process) bumps a deployment's version behind the coordinator's back. */
  bumpBehindTheBack(node: number, contractId: number): void {
    const s = this.nodes.get(node)!.deployments.get(contractId)!;
    s.d = { ...s.d, version: s.d.version + 1 };
    this.contracts.get(contractId)!.deploymentHash = doubleHash(s.d);
  }

  private resultFor(node: number, d: WireDeployment, w: WireWorkload): WireWorkload['result'] {
    const wl = `${d.twin_id}-${d.contract_id}-${w.name}`;
    switch (w.type) {
      case 'zmachine': {
        const ip = ((w.data.network as { interfaces: { ip: string }[] }).interfaces[0] ?? { ip: '' }).ip;
        return { state: 'ok', message: '', data: { id: wl, ip, planetary_ip: '', mycelium_ip: '', console_url: `${ip.split('.').slice(0, 3).join('.')}.0:${20000 + Number(ip.split('.')[3])}` } };
      }
      case 'zmount':
        return { state: 'ok', message: '', data: { volume_id: wl } };
      case 'zdb':
        return { state: 'ok', message: '', data: { Namespace: wl, IPs: ['2a02:1802:5e::1'], Port: 9900 } };
      case 'ip':
        return { state: 'ok', message: '', data: { ip: '185.1.1.10/24', ip6: '', gateway: '185.1.1.1' } };
      case 'gateway-name-proxy': {
        const name = String(w.data.name);
        const c = this.names.get(name);
        if (!c) return { state: 'error', message: 'failed to verify name contract: a name contract with the given name must be reserved first', data: null };
        return { state: 'ok', message: '', data: { fqdn: `${name}.${this.nodes.get(node)!.spec.domain ?? 'gw.local'}` } };
      }
      case 'qsfs':
        return { state: 'ok', message: '', data: { path: `/var/run/qsfs/${wl}`, metrics_endpoint: 'http://[200::1]:9100/metrics' } };
      default:
        return { state: 'ok', message: '', data: null };
    }
  }

  /** Runs the node's asynchronous validation + provisioning for a stored deployment. */
  private settle(node: number, s: StoredDeployment, touched: Set<string>, refused: Map<string, WireWorkload>): void {
    const c = this.contracts.get(s.d.contract_id);
    const hashOk = c && c.state !== 'deleted' && c.nodeId === node && c.deploymentHash === doubleHash(s.d);
    for (const w of s.d.workloads) {
      if (!hashOk) {
        w.result = { state: 'error', message: 'contract hash does not match deployment hash', data: null };
        s.log.push({ ...w });
        continue;
      }
      if (!touched.has(w.name)) continue;
      const bad = (w.data as { _fail?: string })._fail;
      w.result = bad ? { state: 'error', message: bad, data: null } : this.resultFor(node, s.d, w);
      s.log.push({ ...w });
    }
    for (const w of refused.values()) s.log.push(JSON.parse(JSON.stringify(w)));
  }

  nodeApi(nodeId: number): NodeApi {
    const n = this.nodes.get(nodeId);
    if (!n) throw new ZosError(`node ${nodeId} does not exist`);
    const call = (cmd: string) => {
      this.counters.rmbCalls++;
      if (n.down) throw new ZosError(`node ${nodeId} is unreachable (relay timeout)`);
      const f = this.fault(cmd);
      if (f) throw new ZosError(f, { nodeMessage: f });
    };
    const clone = (d: WireDeployment): WireDeployment => JSON.parse(JSON.stringify(d));
    return {
      deploy: async (d) => {
        call('deploy');
        this.counters.deploys++;
        if (d.version !== 0) throw new ZosError('expected version to be 0 on deployment creation: invalid version', { nodeMessage: 'expected version to be 0 on deployment creation: invalid version' });
        if (n.deployments.has(d.contract_id)) throw new ZosError('exists', { nodeMessage: 'exists' });
        const s: StoredDeployment = { d: clone(d), pendingCheck: true, log: [] };
        s.d.workloads.forEach((w) => (w.result = { state: 'init', message: '' }));
        n.deployments.set(d.contract_id, s);
        setImmediate(() => this.settle(nodeId, s, new Set(d.workloads.map((w) => w.name)), new Map()));
      },
      update: async (d) => {
        call('update');
        this.counters.updates++;
        const s = n.deployments.get(d.contract_id);
        if (!s) throw new ZosError('deployment not found: deployment does not exist', { nodeMessage: 'deployment not found: deployment does not exist' });
        if (d.version !== s.d.version + 1) {
          const t = `expecting deployment version ${s.d.version + 1}, got ${d.version}: upgrade validation error`;
          throw new ZosError(t, { nodeMessage: t });
        }
        const touched = new Set<string>();
        const refused = new Map<string, WireWorkload>();
        const next: WireWorkload[] = [];
        for (const w of d.workloads) {
          const cur = s.d.workloads.find((x) => x.name === w.name);
          if (!cur) {
            if (w.version !== d.version) {
              const t = `invalid version number for workload '${w.name}' expected '${d.version}': upgrade validation error`;
              throw new ZosError(t, { nodeMessage: t });
            }
            touched.add(w.name);
            next.push({ ...w, result: { state: 'init', message: '' } });
            continue;
          }
          if (cur.type !== w.type) throw new ZosError(`cannot change workload type '${w.name}': upgrade validation error`, { nodeMessage: `cannot change workload type '${w.name}'` });
          if (w.version === d.version) {
            if (NOT_UPDATABLE.has(w.type)) {
              const t = `workload '${w.type}' does not support upgrade: upgrade validation error`;
              throw new ZosError(t, { nodeMessage: t });
            }
            if (w.type === 'zmount' && Number(w.data.size) < Number(cur.data.size)) {
              refused.set(w.name, { ...w, result: { state: 'unchanged', message: 'not safe to shrink a disk' } });
              next.push(cur);
              continue;
            }
            touched.add(w.name);
            next.push({ ...w, result: cur.result });
          } else next.push(cur);
        }
        s.d = { ...clone(d), workloads: next.map((w) => JSON.parse(JSON.stringify(w))) };
        setImmediate(() => this.settle(nodeId, s, touched, refused));
      },
      get: async (contractId) => {
        call('get');
        const s = n.deployments.get(contractId);
        if (!s) throw new ZosError('deployment not found', { nodeMessage: 'deployment not found' });
        const out = clone(s.d);
        out.workloads.reverse(); // real nodes return workloads in map order
        return out;
      },
      list: async () => {
        call('list');
        return [...n.deployments.values()].map((s) => clone(s.d));
      },
      changes: async (contractId) => {
        call('changes');
        return JSON.parse(JSON.stringify(n.deployments.get(contractId)?.log ?? []));
      },
      listPrivateIps: async (network) => {
        call('list_private_ips');
        const ips: string[] = [];
        for (const s of n.deployments.values()) {
          for (const w of s.d.workloads) {
            if (w.type !== 'zmachine') continue;
            for (const i of (w.data.network as { interfaces: { network: string; ip: string }[] }).interfaces) if (i.network === network) ips.push(i.ip);
          }
        }
        return ips;
      },
      listWgPorts: async () => {
        call('list_wg_ports');
        const ports: number[] = [];
        for (const s of n.deployments.values()) for (const w of s.d.workloads) if (w.type === 'network') ports.push(Number(w.data.wireguard_listen_port));
        return ports;
      },
      publicConfig: async (): Promise<NodePublicConfig | undefined> => {
        call('public_config_get');
        return n.spec.publicIpv4 ? { ipv4: n.spec.publicIpv4, domain: n.spec.domain } : undefined;
      },
      statistics: async () => {
        call('statistics');
        const total = n.spec.capacity ?? { cru: 8, mru: 16 * 2 ** 30, sru: 512 * 2 ** 30, hru: 2 ** 40 };
        let used = { cru: 0, mru: 0, sru: 0, hru: 0 };
        for (const s of n.deployments.values()) {
          for (const w of s.d.workloads) {
            if (w.type === 'zmachine') {
              const cc = w.data.compute_capacity as { cpu: number; memory: number };
              used = { ...used, cru: used.cru + cc.cpu, mru: used.mru + cc.memory };
            }
          }
        }
        return { total, used };
      },
    };
  }

  deps(opts: { sleep?: (ms: number) => Promise<void> } = {}): CoordinatorDeps {
    let now = 0;
    return {
      chain: this.chain(),
      node: async (id) => this.nodeApi(id),
      codec: {
        hashDeployment: doubleHash,
        signDeployment: (d) => ({ ...d, signature_requirement: { ...d.signature_requirement, signatures: [{ twin_id: d.twin_id, signature: doubleHash(d), signature_type: 'ed25519' }] } }),
      },
      // Logical time: every sleep advances it, so timeouts are reached without waiting.
      clock: { now: () => now },
      log: silentLogger,
      progress: silentProgress,
      sleep: opts.sleep ?? (async (ms) => {
        now += ms;
        await new Promise((r) => setImmediate(r));
      }),
    };
  }
}
