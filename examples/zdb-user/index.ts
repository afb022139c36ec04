import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// A small user-mode namespace whose password the program chooses (a secret config value).
const cfg = new pulumi.Config();
const size = cfg.get('size') ?? '1MiB';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one with `size` of free HDD, kept on
// later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { hdd: size }).nodeId;
const password = cfg.requireSecret('password');
const db = new tfgrid.Zdb('db', { node, size, mode: 'user', password });

export const namespace = db.namespace;
export const ips = db.ips;
export const port = db.port;
export const endpoint = db.endpoint;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
