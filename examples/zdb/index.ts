import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
const node = cfg.getNumber('node') ?? 1;
const db = new tfgrid.Zdb('db', { node, size: '1GiB', mode: 'user' });

export const namespace = db.namespace;
export const endpoint = db.endpoint;
export const port = db.port;
/** Secret: `pulumi stack output password --show-secrets`. */
export const password = db.generatedPassword;
