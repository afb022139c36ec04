/**
 * Gateways in front of a server that is on no private network (issue 18.2): a name proxy and an FQDN proxy
 * terminating TLS (`http://<backendHost>:<httpPort>`) and a name proxy and an FQDN proxy passing TLS through
 * (`<backendHost>:<tlsPort>`), all on `node`, none with a `network`. test/e2e/gateway-backends.test.ts serves the
 * backend from a laptop namespace on the grid's internet.
 */
import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from '../../../../sdk';

const cfg = new pulumi.Config();
const node = cfg.getNumber('node') ?? 1;
const host = cfg.require('backendHost');
const http = [`http://${host}:${cfg.require('httpPort')}`];
const tls = [`${host}:${cfg.require('tlsPort')}`];

const name = new tfgrid.NameProxy('name', { node, subdomain: cfg.require('subdomain'), backends: http });
const fqdn = new tfgrid.FqdnProxy('fqdn', { node, fqdn: cfg.require('fqdn'), backends: http });
const namePass = new tfgrid.NameProxy('name-pass', { node, subdomain: cfg.require('passSubdomain'), backends: tls, tlsPassthrough: true });
const fqdnPass = new tfgrid.FqdnProxy('fqdn-pass', { node, fqdn: cfg.require('passFqdn'), backends: tls, tlsPassthrough: true });

export const nameFqdn = name.fqdn;
export const fqdnFqdn = fqdn.fqdn;
export const namePassFqdn = namePass.fqdn;
export const fqdnPassFqdn = fqdnPass.fqdn;
