/**
 * The 0-db command table (threefoldtech/0-db zdbd/commands*.c: names, argument checks and reply texts): one handler
 * per command, looked up by its upper-cased name. Server and data commands live here; namespace and auth commands
 * (AUTH, SELECT, NS*) in namespace-commands.ts.
 * @module
 */
import { MAX_KEY_LENGTH } from './namespace-store';
import type { NamespaceStore } from './namespace-store';
import { NAMESPACE_COMMANDS } from './namespace-commands';
import type { Client, ZdbNamespaces } from './namespaces';
import { array, bulk, err } from './resp';
import type { Reply } from './resp';

const SCAN_BATCH = 1000;

/** What every handler gets: the server's namespaces and options, the client, its namespace and the arguments. */
export interface CommandCall {
  server: { namespaces: ZdbNamespaces; adminPassword?: string };
  c: Client;
  /** The client's selected namespace (present: a client without one is disconnected before any command). */
  ns: NamespaceStore;
  cmd: string;
  argv: Buffer[];
  /** Argument `i` as text. */
  a(i: number): string;
  /** 'Permission denied' unless the client is admin. */
  adminOnly(): Reply | undefined;
  /** 'Unexpected arguments' unless there are exactly `n` (command included); 'Invalid argument' for an empty one. */
  expect(n: number, allowEmpty?: boolean): Reply | undefined;
  /** 'Namespace too long' for a namespace argument over 128 bytes. */
  nsArg(): Reply | undefined;
}

export type CommandHandler = (call: CommandCall) => Reply;

function info({ server }: CommandCall): Reply {
  return bulk(
    [
      '# server',
      'server_name: 0-db (zdb)',
      'server_revision: tfgrid-node',
      `server_mode: per-namespace`,
      `namespaces: ${server.namespaces.stores.size}`,
      `clients: ${server.namespaces.clients.size}`,
      '',
    ].join('\n'),
  );
}

function set({ c, ns, argv, a, adminOnly, expect }: CommandCall): Reply {
  if (argv.length === 4) {
    const denied = adminOnly();
    if (denied) return denied;
  } else {
    const bad = expect(3, true);
    if (bad) return bad;
  }
  if (argv[1].length > MAX_KEY_LENGTH) return err('Key too large');
  if (!c.writable) return err('Namespace is in read-only mode');
  if (ns.settings.locked) return err('Namespace is temporarily locked');
  if (ns.wouldOverflow(argv[1], argv[2].length)) return err('No space left on this namespace');
  const ts = argv.length === 4 ? Number(a(3)) : undefined;
  let key = argv[1];
  if (ns.settings.mode === 'user') {
    if (key.length === 0) return err('Invalid argument, key needed');
  } else {
    if (key.length > 0 && !ns.has(key)) return err('Invalid key, only update authorized');
    if (key.length === 0) key = ns.nextSeqKey();
  }
  const old = ns.get(key);
  if (old && old.equals(argv[2])) return '$-1\r\n'; // unchanged data: 0-db answers nil
  ns.set(key, argv[2], ts);
  return bulk(key);
}

function get({ ns, argv, expect }: CommandCall): Reply {
  const bad = expect(2);
  if (bad) return bad;
  if (ns.settings.locked) return err('Namespace is temporarily locked');
  const v = ns.get(argv[1]);
  return v ? bulk(v) : '$-1\r\n';
}

function exists({ ns, argv, expect }: CommandCall): Reply {
  const bad = expect(2);
  if (bad) return bad;
  if (argv[1].length > MAX_KEY_LENGTH) return err('Invalid key');
  return `:${ns.has(argv[1]) ? 1 : 0}\r\n`;
}

function del({ c, ns, argv, expect }: CommandCall): Reply {
  const bad = expect(2);
  if (bad) return bad;
  if (argv[1].length > MAX_KEY_LENGTH) return err('Invalid key');
  if (!c.writable) return err('Namespace is in read-only mode');
  if (ns.settings.locked) return err('Namespace is temporarily locked');
  return ns.del(argv[1]) ? '+OK\r\n' : err('Key not found');
}

function keycur({ ns, argv, expect }: CommandCall): Reply {
  const bad = expect(2);
  if (bad) return bad;
  const cur = ns.cursorOf(argv[1]);
  return cur ? bulk(cur) : err('Key not found');
}

/** SCAN/SCANX forward from a cursor, RSCAN backward from the end (1000 entries a batch). */
function scan({ ns, argv, cmd }: CommandCall): Reply {
  let cursor: Buffer | undefined;
  if (argv.length > 1) {
    if (argv[1].length !== 8) return err('Invalid key format');
    cursor = argv[1];
  }
  let items = ns.scan(cursor, cmd === 'RSCAN' ? Number.MAX_SAFE_INTEGER : SCAN_BATCH);
  if (cmd === 'RSCAN') items = items.reverse().slice(0, SCAN_BATCH);
  if (items.length === 0) return err('No more data');
  const last = items[items.length - 1];
  return array([bulk(last.cursor), array(items.map((it) => array([bulk(it.key), `:${it.length}\r\n`, `:${it.timestamp}\r\n`])))]);
}

function flush({ ns }: CommandCall): Reply {
  if (ns.settings.public || !ns.settings.password) return err('Flushing public namespace denied');
  for (const it of ns.scan(undefined, Number.MAX_SAFE_INTEGER)) ns.del(it.key);
  return '+OK\r\n';
}

const COMMANDS = new Map<string, CommandHandler>([
  ['PING', ({ argv }) => (argv.length > 1 ? bulk(argv[1]) : '+PONG\r\n')],
  [
    'TIME',
    () => {
      const now = Date.now();
      return array([bulk(String(Math.floor(now / 1000))), bulk(String((now % 1000) * 1000))]);
    },
  ],
  ['INFO', info],
  ['SET', set],
  ['SETX', set],
  ['GET', get],
  ['EXISTS', exists],
  ['DEL', del],
  ['KEYCUR', keycur],
  ['SCAN', scan],
  ['SCANX', scan],
  ['RSCAN', scan],
  ['DBSIZE', ({ ns }) => `:${ns.entries}\r\n`],
  ['FLUSH', flush],
  ...NAMESPACE_COMMANDS,
]);

/** Runs one command of client `c`; null when nothing is to be answered (empty command, or the client was dropped). */
export function handleCommand(server: CommandCall['server'], c: Client, argv: Buffer[]): Reply | null {
  if (argv.length === 0) return null;
  if (c.ns === null) {
    c.socket.end(err('Your active namespace is not available anymore (probably removed).'));
    return null;
  }
  const cmd = argv[0].toString().toUpperCase();
  const handler = COMMANDS.get(cmd);
  if (!handler) return err('Command not supported');
  return handler({
    server,
    c,
    ns: c.ns,
    cmd,
    argv,
    a: (i) => argv[i].toString(),
    adminOnly: () => (c.admin ? undefined : err('Permission denied')),
    expect: (n, allowEmpty = false) => {
      if (argv.length !== n) return err('Unexpected arguments');
      if (!allowEmpty && argv.some((x) => x.length === 0)) return err('Invalid argument');
      return undefined;
    },
    nsArg: () => (argv[1].length > 128 ? err('Namespace too long') : undefined),
  });
}
