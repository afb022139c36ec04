import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// With tlsPassthrough the gateway does not terminate TLS: it reads the SNI of the client's hello and pipes
// the raw connection to `ip:port` on the machine, which speaks TLS itself (its own certificate).
const cfg = new pulumi.Config();
// The local grid's hub serves `tf/tls-server`: openssl s_server with a fresh self-signed certificate.
// `tfgrid local deploy` sets tlsFlist to the hub's tf/tls-server; set it to your own TLS server's flist.
const flist = cfg.get('tlsFlist') ?? 'http://127.0.0.1:8090/tf/tls-server.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a gateway domain), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', domain: true }).nodeId;
const port = cfg.getNumber('port') ?? 443;
// "" runs the flist's own entry (tf/tls-server reads TLS_PORT and TLS_DOMAIN); set it to run your own TLS server.
const entrypoint = cfg.get('entrypoint') ?? '';
// The name in the machine's certificate, e.g. "tls.node1.tfgrid.test"; default: the machine's hostname.
const certDomain = cfg.get('certDomain');
const net = new tfgrid.Network('net', { networkName: 'passthrough_net', nodes: [node] });
const vm = new tfgrid.ZMachine('app', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint,
  env: { TLS_PORT: String(port), ...(certDomain ? { TLS_DOMAIN: certDomain } : {}) },
});
const gw = new tfgrid.NameProxy('gw', {
  node,
  subdomain: cfg.get('subdomain') ?? 'tls',
  backends: [pulumi.interpolate`${vm.privateIp}:${port}`],
  network: net,
  tlsPassthrough: true,
});

export const fqdn = gw.fqdn;
export const nameContractId = gw.nameContractId;
export const privateIp = vm.privateIp;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
