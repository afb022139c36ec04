/**
 * The zdb backend family: namespaces in the node's 0-db server (zos-protocol.md §1.5 zdb, §3.5 zdb row, §4
 * result `{"Namespace","IPs","Port"}`, §6.6). The interface comment is the spec; `resp-server.ts` is the
 * real server, `linux.ts` drives it, `sim.ts` keeps state only.
 *
 * Lifecycle, as the node engine's zdb manager uses it:
 * ```ts
 * const zdb = await createLinuxZdbBackend({ log }, { dataDir, addresses: ['10.1.0.2'], port: 9900, capacity: 100n << 30n });
 * const res = await zdb.create({ name: '7-1234-db', size: 1n << 30n, mode: 'user', password: 's3cret', public: false });
 * // res = { Namespace: '7-1234-db', IPs: ['10.1.0.2'], Port: 9900 }  (idempotent: same call, same result)
 * await zdb.update({ ...spec, size: 2n << 30n, password: 'new' });  // grow, change password / public
 * await zdb.update({ ...spec, size: 1n });       // throws ZosError 'cannot shrink zdb namespace', unchanged
 * await zdb.pause('7-1234-db');                  // namespace locked: reads/writes refused
 * await zdb.remove('7-1234-db');                 // data gone; removing twice is fine
 * await zdb.close();
 * ```
 * @module
 */
import { ZosError } from '../../../protocol/common/errors';

export type ZdbMode = 'user' | 'seq';
export const ZDB_MODES: readonly ZdbMode[] = ['user', 'seq'];
export const ZDB_DEFAULT_PORT = 9900;

/** What the manager asks for: the workload's data with the namespace name (= workload id). */
export interface ZdbNamespaceSpec {
  /** Namespace name; ZOS uses the workload id, e.g. `7-1234-db`. */
  name: string;
  /** Size limit in bytes (HRU). */
  size: bigint;
  mode: ZdbMode;
  /** Empty string: no password (ZOS sets it only when non-empty). */
  password: string;
  /** Public namespaces can be read without the password; writes still need it. */
  public: boolean;
}

/** Result data, keys exactly as ZOS marshals them (no json tags, §4). */
export interface ZdbResult {
  Namespace: string;
  IPs: string[];
  Port: number;
}

/** What the backend knows about one namespace (for the manager's idempotency and tests). */
export interface ZdbNamespaceInfo {
  name: string;
  size: bigint;
  mode: ZdbMode;
  public: boolean;
  hasPassword: boolean;
  /** Bytes of live data (keys + values) counted against `size`. */
  usedBytes: bigint;
  entries: number;
  locked: boolean;
}

export interface ZdbBackend {
  /**
   * Creates the namespace, or returns the existing one unchanged when it is already there
   * (idempotent, as after a node reboot). Fails with `couldn't allocate device to satisfy namespace size`
   * when the node's zdb capacity cannot hold `size`.
   */
  create(spec: ZdbNamespaceSpec): Promise<ZdbResult>;
  /**
   * Applies a new size, password or public flag. Refusals are `ZosError`s with `context.unchanged === true`
   * (the namespace keeps its old config): `cannot change namespace mode`, `cannot shrink zdb namespace`,
   * `no enough free space to support new size`. A namespace that does not exist is created.
   */
  update(spec: ZdbNamespaceSpec): Promise<ZdbResult>;
  /** Deletes the namespace and its data; unknown names are fine. */
  remove(name: string): Promise<void>;
  /** Locks the namespace (contract in grace period): clients get errors until `resume`. */
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  get(name: string): Promise<ZdbNamespaceInfo | undefined>;
  list(): Promise<ZdbNamespaceInfo[]>;
  /** Addresses and port clients use (the result's `IPs` and `Port`). */
  endpoint(): { IPs: string[]; Port: number };
  close(): Promise<void>;
}

/** ZOS texts (primitives/zdb/zdb.go, §3.5, §6.1); clients match on them, keep them byte for byte. */
export const ZDB_ERRORS = {
  changeMode: 'cannot change namespace mode',
  shrink: 'cannot shrink zdb namespace',
  noSpace: 'no enough free space to support new size',
  allocate: "couldn't allocate device to satisfy namespace size",
  invalidSize: 'invalid size',
  invalidMode: 'invalid mode',
} as const;

/** A refused update that leaves the namespace as it was (ZOS `provision.UnChanged`). */
export function unchangedError(text: string, namespace: string): ZosError {
  return new ZosError(text, { nodeMessage: text, unchanged: true, namespace });
}

/** True when `err` is a refused update whose workload keeps running with its old config. */
export function isUnchanged(err: unknown): boolean {
  return err instanceof ZosError && err.context.unchanged === true;
}

/**
 * The pure part of an update: which refusal applies, or undefined when the update may proceed.
 * `freeBytes` is what the node could still give (capacity minus every other namespace's size).
 */
export function checkZdbUpdate(current: { size: bigint; mode: ZdbMode }, next: ZdbNamespaceSpec, freeBytes: bigint): string | undefined {
  if (current.mode !== next.mode) return ZDB_ERRORS.changeMode;
  if (next.size < current.size) return ZDB_ERRORS.shrink;
  if (next.size - current.size > freeBytes) return ZDB_ERRORS.noSpace;
  return undefined;
}

/** Sync validation of §1.5, for backends called directly (the engine validates earlier too). */
export function validateZdbSpec(spec: ZdbNamespaceSpec): string | undefined {
  if (spec.size === 0n) return ZDB_ERRORS.invalidSize;
  if (!ZDB_MODES.includes(spec.mode)) return ZDB_ERRORS.invalidMode;
  return undefined;
}
