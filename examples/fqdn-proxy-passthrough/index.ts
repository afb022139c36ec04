import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";

// Your own domain, pointed at the gateway node (on the local grid: `setGridDnsHost` or the DNS records file).
// With tlsPassthrough the gateway routes the client's TLS connection by SNI and pipes it, still encrypted, to
// `ip:port` on the machine, which terminates TLS with its own certificate for that domain.
const cfg = new pulumi.Config();
const flist = cfg.get("flist") ?? "http://127.0.0.1:8090/tf/base.flist";
const node = cfg.getNumber("node") ?? 1;
const fqdn = cfg.get("fqdn") ?? "secure.example.test";
const port = cfg.getNumber("port") ?? 8443;
// Your TLS server; the default (busybox httpd) speaks plain HTTP, as the local base flist has no TLS server.
const entrypoint = cfg.get("entrypoint") ?? `/usr/sbin/httpd -f -p ${port} -h /var/www`;
const net = new tfgrid.Network("net", { networkName: "fqdn_passthrough_net", nodes: [node] });
const vm = new tfgrid.ZMachine("app", { node, network: net, flist, cpu: 1, memory: "256MiB", entrypoint });
const gw = new tfgrid.FqdnProxy("gw", {
  node, fqdn, backends: [pulumi.interpolate`${vm.privateIp}:${port}`], network: net, tlsPassthrough: true,
});

export const domain = gw.fqdn;
export const contractId = gw.contractId;
