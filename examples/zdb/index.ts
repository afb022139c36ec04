import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free HDD for the namespace), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { hdd: '1GiB' }).nodeId;
const db = new tfgrid.Zdb('db', { node, size: '1GiB', mode: 'user' });

export const namespace = db.namespace;
export const endpoint = db.endpoint;
export const port = db.port;
/** Secret: `pulumi stack output password --show-secrets`. */
export const password = db.generatedPassword;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
