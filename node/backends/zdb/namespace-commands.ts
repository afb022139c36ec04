/**
 * 0-db's namespace and auth commands (threefoldtech/0-db zdbd/commands_namespace.c, commands_system.c): AUTH,
 * SELECT, NSLIST, NSINFO, NSNEW, NSDEL, NSSET. The command table (commands.ts) includes them.
 * @module
 */
import type { CommandCall, CommandHandler } from './commands';
import { DEFAULT_NAMESPACE, isValidName, nsInfo } from './namespaces';
import { array, bulk, err } from './resp';
import type { Reply } from './resp';
import type { ZdbMode } from './zdb';

function auth({ server, c, argv, a }: CommandCall): Reply {
  if (argv.length < 2) return err('Invalid argument');
  if (server.adminPassword === undefined || a(argv.length - 1) === server.adminPassword) {
    c.admin = true;
    return '+OK\r\n';
  }
  return err('Access denied');
}

function nsinfo({ server, c, a, expect, nsArg }: CommandCall): Reply {
  const bad = expect(2) ?? nsArg();
  if (bad) return bad;
  const t = server.namespaces.stores.get(a(1));
  if (!t) return err('Namespace not found');
  return bulk(nsInfo(t, c.admin));
}

function nsnew({ server, a, adminOnly, expect, nsArg }: CommandCall): Reply {
  const bad = adminOnly() ?? expect(2) ?? nsArg();
  if (bad) return bad;
  const name = a(1);
  if (!isValidName(name)) return err('This name is not allowed');
  if (server.namespaces.stores.has(name)) return err('This namespace is not available');
  server.namespaces.create({ name, mode: 'user', password: '', public: true, maxsize: 0, locked: false });
  return '+OK\r\n';
}

function nsdel({ server, c, a, adminOnly, expect, nsArg }: CommandCall): Reply {
  const bad = adminOnly() ?? expect(2) ?? nsArg();
  if (bad) return bad;
  const name = a(1);
  if (name === DEFAULT_NAMESPACE) return err('Cannot remove default namespace');
  const t = server.namespaces.stores.get(name);
  if (!t) return err("This namespace doesn't exists");
  if (c.ns === t) return err("Cannot remove namespace you're currently using.");
  server.namespaces.delete(name);
  return '+OK\r\n';
}

function nsset({ server, argv, a, adminOnly, expect, nsArg }: CommandCall): Reply {
  const bad = adminOnly() ?? expect(4) ?? nsArg();
  if (bad) return bad;
  if (argv[3].length > 63) return err('Invalid value');
  const [name, prop, value] = [a(1), a(2), a(3)];
  if (name === DEFAULT_NAMESPACE) return err('Cannot update default namespace');
  const t = server.namespaces.stores.get(name);
  if (!t) return err('Namespace not found');
  if (prop === 'maxsize') t.settings.maxsize = Number.parseInt(value, 10) || 0;
  else if (prop === 'password') t.settings.password = value === '*' ? '' : value;
  else if (prop === 'public') t.settings.public = value.startsWith('1');
  else if (prop === 'lock') t.settings.locked = value.startsWith('1');
  else if (prop === 'mode') {
    if (value !== 'user' && value !== 'seq') return err('Invalid value');
    if (t.entries > 0) return err('Cannot change mode of a non-empty namespace');
    t.settings.mode = value as ZdbMode;
  } else return err('Invalid property');
  t.saveSettings();
  return '+OK\r\n';
}

/** A protected namespace opens read-only without its password when it is public, and not at all when it is private. */
function select({ server, c, argv, a }: CommandCall): Reply {
  if (argv.length < 2) return err('Invalid argument');
  if (argv[1].length > 128) return err('Namespace too long');
  const t = server.namespaces.stores.get(a(1));
  if (!t) return err('Namespace not found');
  let writable = true;
  if (t.settings.password) {
    if (argv.length < 3) {
      if (!t.settings.public) return err('Namespace protected and private');
      writable = false;
    } else if (a(2) !== t.settings.password) {
      return err('Access denied');
    }
  }
  c.ns = t;
  c.writable = writable;
  return '+OK\r\n';
}

export const NAMESPACE_COMMANDS: [string, CommandHandler][] = [
  ['AUTH', auth],
  ['NSLIST', ({ server }) => array([...server.namespaces.stores.keys()].map((n) => bulk(n)))],
  ['NSINFO', nsinfo],
  ['NSNEW', nsnew],
  ['NSDEL', nsdel],
  ['NSSET', nsset],
  ['SELECT', select],
];
