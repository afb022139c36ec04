/**
 * A deployment group's deployment on the wire (zos-protocol.md §1.1, §3.4): the metadata that names the group, the
 * unsigned deployment the coordinator builds for a version, how workloads compare, and the node texts of a version
 * conflict. Pure: no I/O.
 * @module
 */
import type { DeploymentJson, WorkloadJson } from '../deps';
import type { WorkloadSpec } from './types';

/** Metadata that identifies a group's deployment on a node (it is hashed, so groups never collide). */
export function groupMetadata(group: string): string {
  return JSON.stringify({ version: 3, type: 'pulumi-tfgrid', name: group, projectName: 'pulumi-tfgrid' });
}

/** The group a deployment belongs to, from its metadata; undefined for deployments this provider did not make. */
export function groupOf(d: DeploymentJson): string | undefined {
  try {
    const m = JSON.parse(d.metadata) as { type?: string; name?: string };
    return m.type === 'pulumi-tfgrid' ? m.name : undefined;
  } catch {
    return undefined;
  }
}

/** The cache and queue key of a (node, group) deployment. */
export function keyOf(node: number, group: string): string {
  return `${node}/${group}`;
}

/** Node texts that mean "someone else moved the version" (zos-protocol.md §3.4). */
export function isVersionConflict(text: string): boolean {
  return /expecting deployment version \d+, got \d+|invalid version number for workload/.test(text);
}

/** True when the node's workload already is what the spec asks for (so its version is not bumped). */
export function sameWorkload(a: WorkloadJson, b: WorkloadSpec): boolean {
  return a.type === b.type && (a.metadata ?? '') === (b.metadata ?? '') && (a.description ?? '') === (b.description ?? '') && stableJson(a.data) === stableJson(b.data);
}

/** JSON with sorted object keys, for comparing workload data. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The unsigned deployment of `group` at `version` for twin `tw` (workloads without their results). */
export function deploymentOf(tw: number, group: string, version: number, contractId: number, workloads: WorkloadJson[]): DeploymentJson {
  return {
    version,
    twin_id: tw,
    contract_id: contractId,
    metadata: groupMetadata(group),
    description: '',
    expiration: 0,
    signature_requirement: {
      requests: [{ twin_id: tw, required: false, weight: 1 }],
      weight_required: 1,
      signatures: [],
      signature_style: '',
    },
    workloads: workloads.map((w) => ({
      version: w.version,
      name: w.name,
      type: w.type,
      data: w.data,
      metadata: w.metadata ?? '',
      description: w.description ?? '',
    })),
  };
}
