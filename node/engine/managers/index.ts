/**
 * The type→manager table (zosbase `primitives/provisioner.go`): one literal map, no registration side
 * effects. Types: zos-protocol.md §1.4. `TYPED_MANAGERS` is checked per type: the manager of `zmachine` must take
 * `ZMachineData` (protocol/zos/types); `MANAGERS` is the same table as the engine calls it, each entry decoding
 * its data with its type's schema first (`typed-dispatch.ts`).
 * @module
 */
import { gatewayFqdnProxyManager } from './gateway-fqdn-proxy';
import { gatewayNameProxyManager } from './gateway-name-proxy';
import { ipManager } from './ip';
import type { Manager, WorkloadManager } from './manager';
import { networkManager } from './network';
import { qsfsManager } from './qsfs';
import { volumeManager } from './volume';
import { zdbManager } from './zdb';
import { zlogsManager } from './zlogs';
import { zmachineManager } from './zmachine';
import { zmountManager } from './zmount';
import { typedDispatch } from './typed-dispatch';
import type { WorkloadType } from '../../../protocol/zos/types';

export type ManagerTable = Readonly<Record<string, WorkloadManager>>;

/** Every workload type's manager, typed by its type's data. */
export const TYPED_MANAGERS: { readonly [T in WorkloadType]: Manager<T> } = {
  zmount: zmountManager,
  volume: volumeManager,
  qsfs: qsfsManager,
  network: networkManager,
  'network-light': networkManager,
  ipv4: ipManager,
  ip: ipManager,
  zdb: zdbManager,
  zmachine: zmachineManager,
  'zmachine-light': zmachineManager,
  zlogs: zlogsManager,
  'gateway-name-proxy': gatewayNameProxyManager,
  'gateway-fqdn-proxy': gatewayFqdnProxyManager,
};

/** `TYPED_MANAGERS` as the engine calls it: by type string, each entry decoding its data first. */
export const MANAGERS = Object.fromEntries((Object.keys(TYPED_MANAGERS) as WorkloadType[]).map(<T extends WorkloadType>(t: T) => [t, typedDispatch(t, TYPED_MANAGERS[t])])) as {
  readonly [T in WorkloadType]: WorkloadManager;
};

/** Types a light node ("zos4") provisions (zos-protocol.md §1.4): no network, zmachine, ip/ipv4; gateways with a domain. */
export const LIGHT_NODE_TYPES = ['zmachine-light', 'network-light', 'zdb', 'zmount', 'volume', 'qsfs', 'zlogs'] as const;

/**
 * `table` cut to what a light node runs: a full-node type sent to it fails at once with zosbase's text for a type
 * without a manager. A real light node (zos4) registers every manager and fails such a workload inside it, whose
 * daemon (networkd) does not run there, with no fixed text: the local node says it plainly instead.
 */
export function lightManagers(table: ManagerTable, hasDomain: boolean): ManagerTable {
  const types: string[] = [...LIGHT_NODE_TYPES, ...(hasDomain ? ['gateway-name-proxy', 'gateway-fqdn-proxy'] : [])];
  return Object.fromEntries(Object.entries(table).filter(([t]) => types.includes(t)));
}
