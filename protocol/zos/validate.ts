/**
 * The node's synchronous validity checks (zos-protocol.md §1.2 names, §3.2 step 2 `Deployment.Valid()`), in
 * the node's order with its exact texts: per workload, version ≤ deployment version, a valid name, a unique
 * name, a known type, decodable data, then the type's own `Valid`.
 * @module
 */
import type { Deployment, DataDecode } from './deployment';
import { isWorkloadType, kindOf, type WorkloadGetter, type WorkloadRef } from './types';

export const MAX_NAME_LENGTH = 36;
/** The characters of a workload name (Go `IsValidName`). */
export const NAME_CHARS = /^[a-zA-Z0-9_]+$/;

/** Go `IsValidName`: the error text, or undefined for a valid workload name. */
export function nameError(name: string): string | undefined {
  if (name.length === 0) return 'name cannot be empty';
  // Go measures bytes.
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_LENGTH) return `name cannot exceed ${MAX_NAME_LENGTH} characters`;
  if (!NAME_CHARS.test(name)) return 'unsupported character in workload name';
  if (name === 'ygg') return `invalid name '${name}' is reserved`;
  return undefined;
}

/** True when the node accepts `name` as a workload name. */
export function isValidName(name: string): boolean {
  return nameError(name) === undefined;
}

/** The minimal shape the walk needs: names, types, versions; `data` is decoded separately. */
interface WalkDeployment {
  version: number;
  workloads: readonly { version: number; name: string; type: string; result?: { state: string } }[];
}

/** A Go `WorkloadGetter` over workloads whose data is decoded (undefined where decoding failed). */
export function workloadGetter(workloads: readonly WorkloadRef[]): WorkloadGetter {
  return {
    get: (name) => (nameError(name) ? undefined : workloads.find((w) => w.name === name)),
    byType: (type) => workloads.filter((w) => w.type === type),
  };
}

/**
 * Walks `Deployment.Valid()` and returns the first failure with the path of the field at fault.
 * `decoded[i]` is the outcome of decoding workload i's data.
 */
export function walkDeploymentValidity(d: WalkDeployment, decoded: readonly DataDecode[]): { message: string; path: (string | number)[] } | undefined {
  const getter = workloadGetter(d.workloads.map((w, i) => ({ name: w.name, type: w.type, data: decoded[i]?.ok ? (decoded[i] as { data: unknown }).data : undefined })));
  const seen = new Set<string>();
  for (let i = 0; i < d.workloads.length; i++) {
    const wl = d.workloads[i];
    const at = (...rest: (string | number)[]) => ['workloads', i, ...rest];
    if (wl.version > d.version) {
      return {
        message: `workload '${wl.name}' version '${wl.version}' cannot be higher than deployment version '${d.version}'`,
        path: at('version'),
      };
    }
    const nameErr = nameError(wl.name);
    if (nameErr) return { message: `name '${wl.name}' is invalid: ${nameErr}`, path: at('name') };
    if (seen.has(wl.name)) return { message: `multiple workloads with the same name '${wl.name}'`, path: at('name') };
    seen.add(wl.name);
    const dec = decoded[i];
    if (!dec.ok) return { message: dec.message, path: at(...dec.path) };
    if (!isWorkloadType(wl.type)) return { message: `invalid reservation type '${wl.type}'`, path: at('type') };
    const err = kindOf(wl.type).validate(dec.data, getter);
    if (err) return { message: err, path: at('data') };
  }
  return undefined;
}

/**
 * `Deployment.Valid()`: the node's first error text, or undefined when the deployment is valid.
 * @example validateDeployment(d) // "workload 'vm' version '2' cannot be higher than deployment version '1'"
 */
export function validateDeployment(d: Deployment): string | undefined {
  return validateDeploymentAt(d)?.message;
}

/** Like `validateDeployment`, with the path of the field at fault (`workloads[2].data`). */
export function validateDeploymentAt(d: Deployment): { message: string; path: (string | number)[] } | undefined {
  return walkDeploymentValidity(
    d,
    d.workloads.map((w) => ({ ok: true, data: w.data })),
  );
}
