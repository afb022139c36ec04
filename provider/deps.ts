/**
 * The narrow interfaces the provider needs from the rest of the project (DESIGN.md §4, style.md §5):
 * a TFChain client for node/name contracts, a typed ZOS node client over RMB, and the ZOS deployment codec
 * (challenge hash + signature, zos-protocol.md §2). `protocol/chain`, `protocol/rmb` and `protocol/zos`
 * satisfy them structurally (through `provider/grid-connection.ts`); tests wrap them to inject faults.
 * Wire shapes follow zos-protocol.md §1 exactly (snake_case keys as on the wire).
 * @module
 */
import type { Clock } from '../protocol/common/clock';
import type { Logger, Progress } from '../protocol/common/log';
import type { GridProxyApi } from './grid-proxy';
import type { DeploymentJson, WorkloadJson } from '../protocol/zos/deployment-json';

export type { DeploymentJson, WorkloadJson, WorkloadResultJson } from '../protocol/zos/deployment-json';

/** The ZOS codec: challenge hash (lowercase hex md5, 32 chars) and signing with the twin's key. */
export interface DeploymentCodec {
  /** `hex(md5(challenge(d)))`, zos-protocol.md §2.5: the string that goes on the node contract. */
  hashDeployment(d: DeploymentJson): string;
  /** Returns `d` with the twin's signature set (replacing an existing one from the same twin), §2.6. */
  signDeployment(d: DeploymentJson): DeploymentJson;
}

/** The node commands the provider calls (zos-protocol.md §5.2), for one node. */
export interface NodeApi {
  deploy(d: DeploymentJson): Promise<void>;
  update(d: DeploymentJson): Promise<void>;
  get(contractId: number): Promise<DeploymentJson>;
  list(): Promise<DeploymentJson[]>;
  /** `zos.deployment.changes`: every workload transaction in write order. */
  changes(contractId: number): Promise<WorkloadJson[]>;
  listPrivateIps(networkName: string): Promise<string[]>;
  listWgPorts(): Promise<number[]>;
  /** `zos.network.public_config_get`; undefined when the node has none (`no public configuration`). */
  publicConfig(): Promise<NodePublicConfig | undefined>;
  /** `zos.statistics.get`: total and used capacity in bytes/cores. */
  statistics(): Promise<{ total: NodeCapacity; used: NodeCapacity }>;
  /** `zos.system.node_features_get`: workload types and capabilities (a light node lists `network-light`). */
  features?(): Promise<string[]>;
}

export interface NodeCapacity {
  cru: number;
  mru: number;
  sru: number;
  hru: number;
  ipv4u?: number;
}

export interface NodePublicConfig {
  ipv4?: string;
  ipv6?: string;
  gw4?: string;
  gw6?: string;
  domain?: string;
}

/** One contract operation; several go into one `utility.batchAll` (rmb-tfchain.md §B2). */
export type ContractOp =
  | { kind: 'createNode'; nodeId: number; hash: string; data: string; publicIps: number }
  | { kind: 'updateNode'; contractId: number; hash: string; data: string }
  | { kind: 'cancel'; contractId: number }
  | { kind: 'createName'; name: string }
  | { kind: 'createRent'; nodeId: number; solutionProviderId?: number };

/** Result per op, in order: the contract id for creates, the id acted on otherwise. */
export interface ContractOpResult {
  contractId: number;
}

export interface ChainContractInfo {
  contractId: number;
  twinId: number;
  state: 'created' | 'grace' | 'deleted';
  nodeId?: number;
  deploymentHash?: string;
  publicIps?: number;
  name?: string;
}

export interface ChainNodeInfo {
  nodeId: number;
  twinId: number;
  farmId: number;
  resources: { cru: number; mru: number; sru: number; hru: number };
  country?: string;
  publicConfig?: { ip4?: string; ip6?: string; domain?: string };
}

/** The chain operations of a deployer (rmb-tfchain.md §B2–B4). */
export interface ProviderChain {
  /** The twin of the signing account. */
  twinId(): Promise<number>;
  /** All ops in one transaction (batchAll for more than one); throws ChainError and applies none on failure. */
  submit(ops: ContractOp[]): Promise<ContractOpResult[]>;
  getContract(contractId: number): Promise<ChainContractInfo | undefined>;
  /** The name contract id for `name`, 0 when none. */
  nameContractId(name: string): Promise<number>;
  listNodes(): Promise<ChainNodeInfo[]>;
  /** One node from the chain, undefined when it does not exist. */
  getNode(nodeId: number): Promise<ChainNodeInfo | undefined>;
  /** Nodes on which the signing twin has an active node contract (where its deployments live). */
  twinNodeIds(): Promise<number[]>;
  farmFreePublicIps(farmId: number): Promise<number>;
}

/** Everything the coordinator needs, injected (style.md §5). */
export interface CoordinatorDeps {
  chain: ProviderChain;
  /** The typed node client for a node id (resolves the node twin). */
  node(nodeId: number): Promise<NodeApi>;
  codec: DeploymentCodec;
  clock: Clock;
  log: Logger;
  progress: Progress;
  /** Resolves after `ms`; tests pass a fast one. */
  sleep(ms: number): Promise<void>;
  /**
   * The grid proxy: node discovery and a twin's contracts without scanning the chain or asking every node.
   * Absent (a custom chain without `tfgrid:gridProxyUrl`), or unreachable, the chain and RMB are asked instead.
   */
  gridProxy?: GridProxyApi;
}
