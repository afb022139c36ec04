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
