import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";

// With tlsPassthrough the gateway does not terminate TLS: it reads the SNI of the client's hello and pipes
// the raw connection to `ip:port` on the machine, which must speak TLS itself (its own certificate).
const cfg = new pulumi.Config();
const flist = cfg.get("flist") ?? "http://127.0.0.1:8090/tf/base.flist";
const node = cfg.getNumber("node") ?? 1;
const port = cfg.getNumber("port") ?? 8443;
// Your TLS server; the default (busybox httpd) speaks plain HTTP, as the local base flist has no TLS server.
const entrypoint = cfg.get("entrypoint") ?? `/usr/sbin/httpd -f -p ${port} -h /var/www`;
const net = new tfgrid.Network("net", { networkName: "passthrough_net", nodes: [node] });
const vm = new tfgrid.ZMachine("app", { node, network: net, flist, cpu: 1, memory: "256MiB", entrypoint });
const gw = new tfgrid.NameProxy("gw", {
  node, subdomain: cfg.get("subdomain") ?? "tls",
  backends: [pulumi.interpolate`${vm.privateIp}:${port}`], network: net, tlsPassthrough: true,
});

export const fqdn = gw.fqdn;
export const nameContractId = gw.nameContractId;
export const privateIp = vm.privateIp;
