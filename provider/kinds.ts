/**
 * The table of resource types (style.md §2): every workload resource, by Pulumi type name, in one literal map
 * (no registry filled by import side effects). The dynamic entry, the SDK and the schema generator read it.
 * @module
 */
import { fqdnProxyKind } from './resources/fqdn-proxy';
import { nameProxyKind } from './resources/name-proxy';
import { publicIpKind } from './resources/public-ip';
import { qsfsKind } from './resources/qsfs';
import { zdbKind } from './resources/zdb';
import { volumeKind } from './resources/volume';
import { zlogsKind } from './resources/zlogs';
import { zmachineKind } from './resources/zmachine';
import { zmountKind } from './resources/zmount';
import type { CommonInputs, ResourceKind } from './workload-resource';

export const WORKLOAD_KINDS = {
  ZMount: zmountKind,
  Volume: volumeKind,
  PublicIp: publicIpKind,
  ZMachine: zmachineKind,
  Zdb: zdbKind,
  Qsfs: qsfsKind,
  NameProxy: nameProxyKind,
  FqdnProxy: fqdnProxyKind,
  ZLogs: zlogsKind,
} as const;

export type WorkloadTypeName = keyof typeof WORKLOAD_KINDS;
/** Every resource type the provider serves. */
export type ResourceTypeName = WorkloadTypeName | 'Network' | 'NodePicker' | 'HubFlist' | 'RentContract';
export const RESOURCE_TYPES: readonly ResourceTypeName[] = [...(Object.keys(WORKLOAD_KINDS) as WorkloadTypeName[]), 'Network', 'NodePicker', 'HubFlist', 'RentContract'];

export function workloadKind(name: string): ResourceKind<CommonInputs> | undefined {
  return (WORKLOAD_KINDS as Record<string, unknown>)[name] as ResourceKind<CommonInputs> | undefined;
}

/** Output names that hold secrets, per type (the SDK passes them as additionalSecretOutputs). */
export function secretOutputsOf(kind: ResourceKind<CommonInputs>): string[] {
  return Object.entries(kind.outputDocs)
    .filter(([, d]) => d.secret)
    .map(([k]) => k);
}
