/** TFChain client: public surface (rmb-tfchain.md §B). Re-exports only. @module */
export { createChainClient, DEFAULT_TERMS, MAX_DEPLOYMENT_DATA } from './client';
export type {
  ChainClient,
  ChainClientOptions,
  ChainSigner,
  ContractOp,
  ContractOpResult,
  NodeRegistration,
  NodePublicConfigInput,
} from './client';
export type { Twin, Node, Farm, FarmPublicIp, Contract, NodeContract, NameContract, RentContract, Resources, PublicConfig } from './types';
export type { ContractEvent } from './events';
export { NETWORKS, LOCAL_CHAIN_PORT, LOCAL_RELAY_PORT, resolveChainEndpoints, relayEndpoints, isNetworkName } from './networks';
export type { NetworkName, NetworkEndpoints } from './networks';
export { CHAIN_ERROR_HINTS, chainDispatchError } from './chain-errors';
