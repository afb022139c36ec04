/**
 * Every workload type in one map (docs/style.md §2; zos-protocol.md §1.4). A missing type or method fails
 * the build through `satisfies`. Re-exports each type's schemas and types.
 * @module
 */
import type { AnyWorkloadKind, WorkloadKind } from './kind';
import { gatewayFqdnProxy } from './gateway-fqdn-proxy';
import { gatewayNameProxy } from './gateway-name-proxy';
import { ip } from './ip';
import { ipv4 } from './ipv4';
import { network } from './network';
import { networkLight } from './network-light';
import { qsfs } from './qsfs';
import { volume } from './volume';
import { zdb } from './zdb';
import { zlogs } from './zlogs';
import { zmachine } from './zmachine';
import { zmachineLight } from './zmachine-light';
import { zmount } from './zmount';

export const WORKLOAD_KINDS = {
  zmount,
  volume,
  network,
  'network-light': networkLight,
  zmachine,
  'zmachine-light': zmachineLight,
  zdb,
  ip,
  ipv4,
  zlogs,
  qsfs,
  'gateway-name-proxy': gatewayNameProxy,
  'gateway-fqdn-proxy': gatewayFqdnProxy,
} as const satisfies { readonly [K in string]: AnyWorkloadKind & { readonly type: K } };

export type WorkloadKinds = typeof WORKLOAD_KINDS;
/** A wire type string: `zmount`, `network-light`, … */
export type WorkloadType = keyof WorkloadKinds;
/** Decoded `data` of each type. */
export type WorkloadDataOf<T extends WorkloadType> = ReturnType<WorkloadKinds[T]['data']['parse']>;
/** Decoded `result.data` of each type. */
export type WorkloadResultDataOf<T extends WorkloadType> = ReturnType<WorkloadKinds[T]['result']['parse']>;

export const WORKLOAD_TYPES = Object.keys(WORKLOAD_KINDS) as WorkloadType[];

/** True for a type string the node knows. */
export function isWorkloadType(t: string): t is WorkloadType {
  return Object.hasOwn(WORKLOAD_KINDS, t);
}

/**
 * The kind of `type` with its methods typed loosely, for generic code that holds data of a type known
 * only at run time (the data was decoded by this same kind's schema).
 */
export function kindOf(type: WorkloadType): WorkloadKind<unknown, unknown> {
  return WORKLOAD_KINDS[type] as unknown as WorkloadKind<unknown, unknown>;
}

/** Engine order for provisioning (zos-protocol.md §3.6, the runtime's chosen order); removal runs in reverse. */
export const ENGINE_TYPE_ORDER: readonly WorkloadType[] = [
  'zmount',
  'volume',
  'qsfs',
  'network',
  'network-light',
  'ipv4',
  'ip',
  'zdb',
  'zmachine',
  'zmachine-light',
  'zlogs',
  'gateway-name-proxy',
  'gateway-fqdn-proxy',
];

export * from './kind';
export * from './zmount';
export * from './volume';
export * from './network';
export * from './network-light';
export * from './zmachine';
export * from './zmachine-light';
export * from './zdb';
export * from './ip';
export * from './ipv4';
export * from './zlogs';
export * from './qsfs';
export * from './gateway-base';
export * from './gateway-name-proxy';
export * from './gateway-fqdn-proxy';
