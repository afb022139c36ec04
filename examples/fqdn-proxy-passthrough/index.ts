import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// Your own domain, pointed at the gateway node (on the local grid: `setGridDnsHost` or the DNS records file).
// With tlsPassthrough the gateway routes the client's TLS connection by SNI and pipes it, still encrypted, to
// `ip:port` on the machine, which terminates TLS with its own certificate for that domain.
const cfg = new pulumi.Config();
// The local grid's hub serves `tf/tls-server`: openssl s_server with a fresh self-signed certificate.
// `tfgrid local deploy` sets tlsFlist to the hub's tf/tls-server; set it to your own TLS server's flist.
const flist = cfg.get('tlsFlist') ?? 'http://127.0.0.1:8090/tf/tls-server.flist';
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a gateway), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', domain: true }).nodeId;
const fqdn = cfg.get('fqdn') ?? 'secure.example.test';
const port = cfg.getNumber('port') ?? 443;
// "" runs the flist's own entry (tf/tls-server: a certificate for TLS_DOMAIN on TLS_PORT); or your TLS server.
const entrypoint = cfg.get('entrypoint') ?? '';
const net = new tfgrid.Network('net', { networkName: 'fqdn_passthrough_net', nodes: [node] });
const vm = new tfgrid.ZMachine('app', {
  node,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint,
  env: { TLS_PORT: String(port), TLS_DOMAIN: fqdn },
});
const gw = new tfgrid.FqdnProxy('gw', {
  node,
  fqdn,
  backends: [pulumi.interpolate`${vm.privateIp}:${port}`],
  network: net,
  tlsPassthrough: true,
});

export const domain = gw.fqdn;
export const contractId = gw.contractId;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
