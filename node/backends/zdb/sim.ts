/**
 * zdb backend, state only (docs/style.md §3): the namespace table with ZOS's create/update rules
 * (zos-protocol.md §3.5 zdb row, §4, §6.6) and no server. For machines without the real one; never a CI fallback.
 * @module
 */
import { ZosError } from '../../../protocol/common/errors';
import { ZDB_DEFAULT_PORT, ZDB_ERRORS, checkZdbUpdate, unchangedError, validateZdbSpec, type ZdbBackend, type ZdbNamespaceInfo, type ZdbNamespaceSpec, type ZdbResult } from './zdb';

export interface SimZdbOptions {
  addresses?: string[];
  port?: number;
  /** Total bytes namespaces may reserve (the node's HDD). Default: unlimited. */
  capacity?: bigint;
}

export function createSimZdbBackend(opts: SimZdbOptions = {}): ZdbBackend {
  const namespaces = new Map<string, ZdbNamespaceInfo>();
  const IPs = opts.addresses ?? ['::1'];
  const Port = opts.port ?? ZDB_DEFAULT_PORT;
  const capacity = opts.capacity;
  const result = (name: string): ZdbResult => ({ Namespace: name, IPs: [...IPs], Port });
  const reserved = (except?: string) => [...namespaces.values()].filter((n) => n.name !== except).reduce((a, n) => a + n.size, 0n);
  const free = (except?: string) => (capacity === undefined ? 1n << 62n : capacity - reserved(except));

  const backend: ZdbBackend = {
    async create(spec) {
      const invalid = validateZdbSpec(spec);
      if (invalid) throw new ZosError(invalid, { nodeMessage: invalid, namespace: spec.name });
      if (namespaces.has(spec.name)) return result(spec.name);
      if (spec.size > free()) throw new ZosError(ZDB_ERRORS.allocate, { nodeMessage: ZDB_ERRORS.allocate, namespace: spec.name });
      namespaces.set(spec.name, info(spec));
      return result(spec.name);
    },
    async update(spec) {
      const cur = namespaces.get(spec.name);
      if (!cur) return backend.create(spec);
      const refusal = checkZdbUpdate(cur, spec, free(spec.name) - cur.size);
      if (refusal) throw unchangedError(refusal, spec.name);
      namespaces.set(spec.name, { ...info(spec), usedBytes: cur.usedBytes, entries: cur.entries, locked: cur.locked });
      return result(spec.name);
    },
    async remove(name) {
      namespaces.delete(name);
    },
    async pause(name) {
      const n = namespaces.get(name);
      if (n) n.locked = true;
    },
    async resume(name) {
      const n = namespaces.get(name);
      if (n) n.locked = false;
    },
    async get(name) {
      const n = namespaces.get(name);
      return n ? { ...n } : undefined;
    },
    async list() {
      return [...namespaces.values()].map((n) => ({ ...n }));
    },
    endpoint: () => ({ IPs: [...IPs], Port }),
    async close() {},
  };
  return backend;
}

function info(spec: ZdbNamespaceSpec): ZdbNamespaceInfo {
  return { name: spec.name, size: spec.size, mode: spec.mode, public: spec.public, hasPassword: spec.password !== '', usedBytes: 0n, entries: 0, locked: false };
}
