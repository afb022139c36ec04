/**
 * The zdb server's namespaces and sessions (0-db zdbd namespaces): every namespace is a `NamespaceStore` under
 * `<dataDir>/namespaces/<encoded name>/`, reopened at start; `default` always exists and cannot be removed or
 * changed. A session (one connection) has a selected namespace, whether it may write there, and whether it is admin.
 * @module
 */
import * as fs from 'fs';
import type * as net from 'net';
import * as path from 'path';
import { NamespaceStore, type NamespaceSettings } from './namespace-store';

export const DEFAULT_NAMESPACE = 'default';

/** One client connection's state. `ns` is null once its namespace was deleted under it. */
export interface Client {
  socket: net.Socket;
  ns: NamespaceStore | null;
  writable: boolean;
  admin: boolean;
}

export interface ZdbNamespaces {
  stores: Map<string, NamespaceStore>;
  clients: Set<Client>;
  create(settings: NamespaceSettings): void;
  /** Deletes a namespace (never `default`); clients that had it selected lose it. */
  delete(name: string): void;
}

/** Opens the namespaces kept under `dataDir` (creating `default` on first start). */
export function openNamespaces(dataDir: string): ZdbNamespaces {
  const nsDir = path.join(dataDir, 'namespaces');
  fs.mkdirSync(nsDir, { recursive: true });
  const stores = new Map<string, NamespaceStore>();
  for (const name of fs.readdirSync(nsDir)) {
    const dir = path.join(nsDir, name);
    if (fs.existsSync(path.join(dir, 'settings.json'))) stores.set(decodeName(name), NamespaceStore.open(dir));
  }
  if (!stores.has(DEFAULT_NAMESPACE)) {
    stores.set(
      DEFAULT_NAMESPACE,
      NamespaceStore.create(path.join(nsDir, encodeName(DEFAULT_NAMESPACE)), {
        name: DEFAULT_NAMESPACE,
        mode: 'user',
        password: '',
        public: true,
        maxsize: 0,
        locked: false,
      }),
    );
  }
  const clients = new Set<Client>();
  return {
    stores,
    clients,
    create(settings) {
      if (stores.has(settings.name)) throw new Error(`namespace ${settings.name} exists`);
      stores.set(settings.name, NamespaceStore.create(path.join(nsDir, encodeName(settings.name)), settings));
    },
    delete(name) {
      const s = stores.get(name);
      if (!s || name === DEFAULT_NAMESPACE) return;
      stores.delete(name);
      for (const c of clients) {
        if (c.ns === s) c.ns = null;
      }
      s.destroy();
    },
  };
}

/** NSINFO's text (0-db's field names; `password_raw` only for an admin). */
export function nsInfo(t: NamespaceStore, admin: boolean): string {
  const s = t.settings;
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(2);
  const lines = [
    '# namespace',
    `name: ${s.name}`,
    `entries: ${t.entries}`,
    `public: ${s.public ? 'yes' : 'no'}`,
    'worm: no',
    `password: ${s.password ? 'yes' : 'no'}`,
    `data_size_bytes: ${t.dataSize}`,
    `data_size_mb: ${mb(t.dataSize)}`,
    `data_limits_bytes: ${s.maxsize}`,
    `index_size_bytes: ${t.indexSize}`,
    `index_size_kb: ${(t.indexSize / 1024).toFixed(2)}`,
    `mode: ${s.mode === 'user' ? 'userkey' : 'sequential'}`,
    `locked: ${s.locked ? 'yes' : 'no'}`,
  ];
  if (admin && s.password) lines.push(`password_raw: ${s.password}`);
  return lines.join('\n') + '\n';
}

/** 0-db refuses names that would escape its directory layout. */
export function isValidName(name: string): boolean {
  return !name.includes('/') && !name.startsWith('.') && name.length > 0;
}

/** Directory names stay safe for any namespace name. */
function encodeName(name: string): string {
  return encodeURIComponent(name);
}
function decodeName(dir: string): string {
  return decodeURIComponent(dir);
}
