import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// A small user-mode namespace whose password the program chooses (a secret config value).
const cfg = new pulumi.Config();
const node = cfg.getNumber('node') ?? 1;
const size = cfg.get('size') ?? '1MiB';
const password = cfg.requireSecret('password');
const db = new tfgrid.Zdb('db', { node, size, mode: 'user', password });

export const namespace = db.namespace;
export const ips = db.ips;
export const port = db.port;
export const endpoint = db.endpoint;
