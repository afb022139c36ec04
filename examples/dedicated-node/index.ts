import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// The md5 you expect the flist to have: the hub serves it at `<flist>.md5` (see README). The provider fetches it
// again at preview and refuses the machine when it differs, before anything is rented or deployed.
const flistChecksum = cfg.require('flistChecksum');

// A configured node, or the first node free to rent (nobody rents it and nobody deploys on it).
const configured = cfg.getNumber('node');
const node = configured ?? new tfgrid.NodePicker('free', { rentable: true, memory: '256MiB' }).nodeId;

// Rent the whole node: from now on only this twin may deploy on it. Everything below depends on the rent, so `up`
// rents first and `destroy` cancels the rent last (the chain refuses it while node contracts remain).
const rent = new tfgrid.RentContract('rent', { node });
const onRented = { dependsOn: [rent] };

const net = new tfgrid.Network('net', { networkName: 'dedicated_net', nodes: [rent.node], ipRange: '10.50.0.0/16' }, onRented);
// A volume: a directory with a quota, mounted into the machine (virtiofs on ZOS).
const data = new tfgrid.Volume('data', { node: rent.node, size: '1GiB' }, onRented);
// Writes a file on the volume and serves the volume on :8080.
const vm = new tfgrid.ZMachine(
  'vm',
  {
    node: rent.node,
    network: net,
    flist,
    flistChecksum,
    cpu: 1,
    memory: '256MiB',
    mounts: [{ disk: data, mountpoint: '/data' }],
    entrypoint: '/bin/sh -c "echo kept on $(hostname) > /data/hello.txt; exec /usr/sbin/httpd -f -p 8080 -h /data"',
  },
  onRented,
);

export const nodeId = rent.node;
export const rentContractId = rent.contractId;
export const privateIp = vm.privateIp;
/** Workload id of the machine on the node (`<twin>-<contract>-<name>`). */
export const machineId = vm.machineId;
export const contractId = vm.contractId;
