/**
 * The type→manager table (zosbase `primitives/provisioner.go`): one literal map, no registration side
 * effects. Types: zos-protocol.md §1.4.
 * @module
 */
import { gatewayFqdnProxyManager } from './gateway-fqdn-proxy';
import { gatewayNameProxyManager } from './gateway-name-proxy';
import { ipManager } from './ip';
import type { Manager } from './manager';
import { networkManager } from './network';
import { qsfsManager } from './qsfs';
import { volumeManager } from './volume';
import { zdbManager } from './zdb';
import { zlogsManager } from './zlogs';
import { zmachineManager } from './zmachine';
import { zmountManager } from './zmount';

export type ManagerTable = Readonly<Record<string, Manager>>;

export const MANAGERS = {
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
} as const satisfies ManagerTable;

/** Types a light node ("zos4") provisions (zos-protocol.md §1.4): no network, zmachine, ip/ipv4; gateways with a domain. */
export const LIGHT_NODE_TYPES = ['zmachine-light', 'network-light', 'zdb', 'zmount', 'volume', 'qsfs', 'zlogs'] as const;

/**
 * `table` cut to what a light node runs: a full-node type sent to it fails as an unknown type, as on a light ZOS,
 * whose provisioner has no manager for it.
 */
export function lightManagers(table: ManagerTable, hasDomain: boolean): ManagerTable {
  const types: string[] = [...LIGHT_NODE_TYPES, ...(hasDomain ? ['gateway-name-proxy', 'gateway-fqdn-proxy'] : [])];
  return Object.fromEntries(Object.entries(table).filter(([t]) => types.includes(t)));
}
