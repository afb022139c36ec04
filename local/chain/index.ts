/** The local chain: spec resolution + genesis patching, chopsticks launcher, grid bootstrap (issue 3). Re-exports only. @module */
export { startLocalChain, rpcCall, hasFirstBlock, chopsticksBin, chopsticksCommand } from './chopsticks';
export { freePort, isAlive, stopPid } from '../../protocol/common/processes';
export type { LocalChain, LocalChainOptions } from './chopsticks';
export { resolveChainSpec, writePatchedSpec, devAccountIds } from './artefacts';
export { patchGenesis, storageValueKey, accountKey, KEYS, DEV_ACCOUNT_BALANCE } from './genesis-patch';
export type { RawChainSpec, PatchOptions, PatchReport } from './genesis-patch';
export { bootstrapGrid, TFT } from './bootstrap';
export type { GridSpec, FarmSpec, NodeSpec, UserSpec, BootstrappedGrid } from './bootstrap';
