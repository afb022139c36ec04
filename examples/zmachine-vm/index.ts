import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// A VM flist holds /image.raw (full disk) or /boot/vmlinuz (+ /boot/initrd.img); it boots under qemu on the node.
// The local grid's hub serves one (`tfgrid local up` builds it): a Debian kernel and a busybox initramfs that
// takes the machine's private IP from the kernel command line and serves "vm <name>" on port 80.
const vmFlist = cfg.get('vmFlist') ?? 'http://127.0.0.1:8090/tf/vm.flist';
// `pulumi config set publicIp true`: the VM also takes a farm IPv4 (a second NIC; the guest routes through it).
const withPublicIp = cfg.getBoolean('publicIp') ?? false;
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one with free memory (and, with
// `publicIp`, a free IPv4 in its farm), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', publicIpv4: withPublicIp ? 1 : 0 }).nodeId;
const networkName = 'zmachine_vm_net';
const net = new tfgrid.Network('net', { networkName, nodes: [node] });
const ip = withPublicIp ? new tfgrid.PublicIp('ip', { node, v4: true }) : undefined;
const vm = new tfgrid.ZMachine('vm', { node, network: net, flist: vmFlist, cpu: 1, memory: '256MiB', ...(ip ? { publicIp: ip } : {}) });

export const privateIp = vm.privateIp;
export const consoleUrl = vm.consoleUrl;
export const machineId = vm.machineId;
export const network = networkName;
export const publicIp = ip ? ip.ip : '';
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
