/**
 * The Linux zdb backend (named like the other families' `linux.ts`; the server itself is plain Node): one 0-db
 * compatible RESP server per node (`resp-server.ts`) and the namespace rules of ZOS's zdb manager on top
 * (zos-protocol.md §3.5 zdb row, §4, §6.6): namespace = workload id, password set only when non-empty, public flag
 * and size always set, grow-only updates.
 * @module
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { startZdbServer, type ZdbServer } from './resp-server';
import type { NamespaceStore } from './namespace-store';
import { ZDB_DEFAULT_PORT, ZDB_ERRORS, checkZdbUpdate, unchangedError, validateZdbSpec, type ZdbBackend, type ZdbNamespaceInfo, type ZdbResult } from './zdb';

/** File under the zdb data dir that holds the admin password when none is given. */
export const ZDB_ADMIN_PASSWORD_FILE = 'admin-password';

export interface ZdbBackendOptions {
  dataDir: string;
  /** Addresses the server binds and the result advertises. */
  addresses: string[];
  /** Default 9900; 0 = any free port (tests). */
  port?: number;
  /** Total bytes namespaces may reserve (the node's HDD capacity). Default: unlimited. */
  capacity?: bigint;
  /**
   * Admin password for NSNEW/NSSET/NSDEL over RESP (0-db's `--admin`; tenants are never admin). Default: the
   * one in `<dataDir>/admin-password`, created random (mode 0600) on first start, so the node's operator can
   * use it, e.g. to take a namespace offline with `NSSET <ns> lock 1`.
   */
  adminPassword?: string;
}

export interface LinuxZdbBackend extends ZdbBackend {
  /** The server, for tests and the local grid (admin password included). */
  readonly server: ZdbServer;
  readonly adminPassword: string;
}

export async function createLinuxZdbBackend(deps: { log: Logger }, opts: ZdbBackendOptions): Promise<LinuxZdbBackend> {
  const adminPassword = opts.adminPassword ?? operatorPassword(opts.dataDir);
  const server = await startZdbServer(deps, {
    dataDir: opts.dataDir,
    addresses: opts.addresses,
    port: opts.port ?? ZDB_DEFAULT_PORT,
    adminPassword,
  });
  const log = deps.log.child({ component: 'zdb-backend' });
  const IPs = [...opts.addresses];
  const result = (name: string): ZdbResult => ({ Namespace: name, IPs: [...IPs], Port: server.port });
  const tenants = () => server.namespaces().filter((n) => n.settings.name !== 'default');
  const free = (except?: string) => {
    if (opts.capacity === undefined) return 1n << 62n;
    const used = tenants()
      .filter((n) => n.settings.name !== except)
      .reduce((a, n) => a + BigInt(n.settings.maxsize), 0n);
    return opts.capacity - used;
  };

  const backend: LinuxZdbBackend = {
    server,
    adminPassword,
    async create(spec) {
      const invalid = validateZdbSpec(spec);
      if (invalid) throw new ZosError(invalid, { nodeMessage: invalid, namespace: spec.name });
      if (server.namespace(spec.name)) return result(spec.name);
      if (spec.size > free()) throw new ZosError(ZDB_ERRORS.allocate, { nodeMessage: ZDB_ERRORS.allocate, namespace: spec.name });
      server.createNamespace({
        name: spec.name,
        mode: spec.mode,
        password: spec.password,
        public: spec.public,
        maxsize: Number(spec.size),
        locked: false,
      });
      log.info('zdb namespace created', { namespace: spec.name, size: spec.size, mode: spec.mode });
      return result(spec.name);
    },
    async update(spec) {
      const cur = server.namespace(spec.name);
      if (!cur) return backend.create(spec);
      const current = { size: BigInt(cur.settings.maxsize), mode: cur.settings.mode };
      const refusal = checkZdbUpdate(current, spec, free(spec.name) - current.size);
      if (refusal) throw unchangedError(refusal, spec.name);
      // ZOS sets the password only when non-empty; an empty one leaves the old password in place.
      server.updateNamespace(spec.name, {
        maxsize: Number(spec.size),
        public: spec.public,
        ...(spec.password ? { password: spec.password } : {}),
      });
      return result(spec.name);
    },
    async remove(name) {
      server.deleteNamespace(name);
    },
    async pause(name) {
      if (server.namespace(name)) server.updateNamespace(name, { locked: true });
    },
    async resume(name) {
      if (server.namespace(name)) server.updateNamespace(name, { locked: false });
    },
    async get(name) {
      const n = server.namespace(name);
      return n && name !== 'default' ? info(n) : undefined;
    },
    async list() {
      return tenants().map(info);
    },
    endpoint: () => ({ IPs: [...IPs], Port: server.port }),
    close: () => server.close(),
  };
  return backend;
}

/** The operator's admin password file (`ZDB_ADMIN_PASSWORD_FILE` under the data dir), created when missing. */
function operatorPassword(dataDir: string): string {
  const file = path.join(dataDir, ZDB_ADMIN_PASSWORD_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const pw = randomBytes(16).toString('hex');
  fs.writeFileSync(file, pw + '\n', { mode: 0o600 });
  return pw;
}

function info(n: NamespaceStore): ZdbNamespaceInfo {
  const s = n.settings;
  return {
    name: s.name,
    size: BigInt(s.maxsize),
    mode: s.mode,
    public: s.public,
    hasPassword: s.password !== '',
    usedBytes: BigInt(n.dataSize),
    entries: n.entries,
    locked: s.locked,
  };
}
