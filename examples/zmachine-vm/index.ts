import * as pulumi from "@pulumi/pulumi";
import * as tfgrid from "pulumi-tfgrid";

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get("flist") ?? "http://127.0.0.1:8090/tf/base.flist";
const node = cfg.getNumber("node") ?? 1;
// A VM flist holds /image.raw (full disk) or /boot/vmlinuz (+ initrd); it boots under qemu on the node.
const vmFlist = cfg.require("vmFlist");
const net = new tfgrid.Network("net", { networkName: "zmachine_vm_net", nodes: [node] });
const vm = new tfgrid.ZMachine("vm", { node, network: net, flist: vmFlist, cpu: 1, memory: "512MiB" });

export const privateIp = vm.privateIp;
export const consoleUrl = vm.consoleUrl;
