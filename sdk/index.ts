/**
 * pulumi-tfgrid: what users import. Resources for Zero-OS workloads on the ThreeFold Grid, node lookup, units.
 * @module
 */
export { Network, type NetworkArgs } from './network';
export { PublicIp, type PublicIpArgs } from './public-ip';
export { ZMount, type ZMountArgs } from './zmount';
export { Volume, type VolumeArgs } from './volume';
export { ZMachine, type ZMachineArgs, type ZMachineMount } from './zmachine';
export { Zdb, type ZdbArgs } from './zdb';
export { Qsfs, type QsfsArgs } from './qsfs';
export { NameProxy, type NameProxyArgs } from './name-proxy';
export { FqdnProxy, type FqdnProxyArgs } from './fqdn-proxy';
export { ZLogs, type ZLogsArgs } from './zlogs';
export { Kubernetes, K3S_FLIST, type KubernetesArgs, type KubernetesNode, type KubernetesNodeArgs } from './kubernetes';
export { HubFlist, type HubFlistArgs } from './hub-flist';
export { RentContract, type RentContractArgs } from './rent-contract';
export { NodePicker, findNodes, type NodeFilter } from './node-picker';
export { defaultDeployment, type PlacementArgs } from './placement';
export type { AccountArgs } from './account';
export { parseSize, formatSize } from '../provider/inputs';
