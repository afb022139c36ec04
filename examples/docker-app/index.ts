import * as path from 'path';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub (`tfgrid local up` starts it); its base flist's origin is the hub URL.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
const hubUrl = cfg.get('hubUrl') ?? new URL(flist).origin;
// `pulumi config set node <id>` pins the node; otherwise the grid proxy finds one that fits (free memory, a gateway domain), kept on later `up`s.
const node = cfg.getNumber('node') ?? new tfgrid.NodePicker('node', { memory: '256MiB', domain: true }).nodeId;

// Built by the docker CLI on this machine (DOCKER_HOST picks the engine); skipPush: the image goes to no registry.
// imageName comes back as "tfgrid-docker-app:<image id>", so every rebuild is a new value.
const image = new docker.Image('app', {
  imageName: 'tfgrid-docker-app',
  build: {
    context: path.join(__dirname, 'app'),
    args: { APP_MESSAGE: cfg.get('message') ?? 'hello from a @pulumi/docker image' },
  },
  skipPush: true,
});

// docker save → the hub's image→flist conversion. A new image id replaces the flist (and so the machine).
const appFlist = new tfgrid.HubFlist('app', { image: image.imageName, hubUrl });

const net = new tfgrid.Network('net', { networkName: 'docker_app_net', nodes: [node] });
// No entrypoint: the machine starts what the image's CMD says (the flist's .startup.toml).
const vm = new tfgrid.ZMachine('app', { node, network: net, flist: appFlist.url, cpu: 1, memory: '256MiB' });
const gw = new tfgrid.NameProxy('gw', {
  node,
  subdomain: cfg.get('subdomain') ?? 'dockerapp',
  backends: [pulumi.interpolate`http://${vm.privateIp}:8080`],
  network: net,
});

export const imageName = image.imageName;
export const flistUrl = appFlist.url;
export const imageId = appFlist.imageId;
export const privateIp = vm.privateIp;
export const contractId = vm.contractId;
export const nameContractId = gw.nameContractId;
export const url = pulumi.interpolate`http://${gw.fqdn}/`;
/** The node it deploys on (picked, or the `node` config). */
export const nodeId = node;
