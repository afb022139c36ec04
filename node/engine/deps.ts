/**
 * What the node engine needs from the outside, as narrow interfaces (docs/style.md §5). The chain client of
 * `protocol/chain` and the RMB peer of `protocol/rmb` satisfy them through small adapters in
 * `node/runtime.ts`; backends are the families of `node/backends/<family>/<family>.ts`.
 * Facts: zos-protocol.md §3.3 (contract validation), §3.7 (events), rmb-tfchain.md §B5.
 * @module
 */
import type { Clock } from '../../protocol/common/clock';
import type { Logger } from '../../protocol/common/log';
import type { FlistBackend } from '../backends/flist/flist';
import type { GatewayBackend, NameContractStatus } from '../backends/gateway/gateway';
import type { MachineBackend } from '../backends/machine/machine';
import type { NetworkBackend } from '../backends/network/network';
import type { StorageBackend } from '../backends/storage/storage';
import type { ZdbBackend } from '../backends/zdb/zdb';
import type { QsfsBackend } from '../backends/qsfs/qsfs';

export type { NameContractStatus };

/** A contract as the engine needs it (tfchain `Contract`, §B4/§B5). */
export type ChainContract =
  | {
      type: 'node';
      contractId: bigint;
      twinId: number;
      nodeId: number;
      /** 32 ASCII chars as stored on chain (lowercase hex md5). */
      deploymentHash: string;
      publicIps: { ip: string; gateway: string }[];
      state: 'created' | 'grace' | 'deleted';
    }
  | { type: 'name' | 'rent'; contractId: bigint; twinId: number; state: 'created' | 'grace' | 'deleted' };

/** Contract state changes the node reacts to (§3.7). */
export type ContractEvent = { kind: 'cancelled'; contractId: bigint } | { kind: 'locked'; contractId: bigint } | { kind: 'unlocked'; contractId: bigint };

/** Resource usage of one contract, reported after each job (§3.7, `report_contract_resources`). */
export interface ContractResources {
  contractId: bigint;
  used: { cru: bigint; sru: bigint; hru: bigint; mru: bigint };
}

/** The chain, as the engine reads it. Lookups throw on transport failure and resolve `undefined` for "absent". */
export interface EngineChain {
  /** The twin's 32-byte public key (= its account id), or undefined when the twin does not exist. */
  twinPublicKey(twinId: number): Promise<Uint8Array | undefined>;
  contract(contractId: bigint): Promise<ChainContract | undefined>;
  /** Name-contract status for gateway name proxies. */
  nameContract(name: string, twinId: number): Promise<NameContractStatus>;
  /** Whether the node is rented (GPU use only). */
  nodeRented?(): Promise<boolean>;
  reportResources?(reports: ContractResources[]): Promise<void>;
  /** Subscribes to this node's contract events; resolves to an unsubscribe function. */
  subscribeContractEvents?(handler: (ev: ContractEvent) => void): Promise<() => void>;
}

/** Every backend family, as one bundle handed to managers. */
export interface Backends {
  storage: StorageBackend;
  network: NetworkBackend;
  machine: MachineBackend;
  flist: FlistBackend;
  zdb: ZdbBackend;
  gateway: GatewayBackend;
  qsfs: QsfsBackend;
}

/** Static facts about this node (config), read by managers and the API. */
export interface NodeFacts {
  nodeId: number;
  farmId: number;
  twinId: number;
  farmerTwinId: number;
  /** Admin twins for `zos.debug.*`. */
  adminTwins: number[];
  /** Total capacity, bytes for sizes. */
  total: { cru: bigint; sru: bigint; hru: bigint; mru: bigint; ipv4u: bigint };
  /** Reserved by the system (counts in `used`). */
  reserved: { cru: bigint; sru: bigint; hru: bigint; mru: bigint; ipv4u: bigint };
  publicConfig?: { type: 'macvlan' | 'vlan'; ipv4: string; ipv6: string; gw4: string; gw6: string; domain: string };
  location: { longitude: number; latitude: number; continent: string; country_name: string; country_code: string; city_name: string };
  version: { zos: string; zinit: string };
  hypervisor: string;
  /** Node host interfaces (`zos.network.interfaces`, admin interfaces). */
  interfaces: { zos: string[]; ygg: string[] };
  hasIpv6: boolean;
  /** A light node ("zos4"): light workload types only, its own feature list. */
  light?: boolean;
}

export interface EngineDeps {
  chain: EngineChain;
  backends: Backends;
  clock: Clock;
  log: Logger;
}
