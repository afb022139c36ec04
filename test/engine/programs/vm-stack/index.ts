/**
 * A small Pulumi program for the test engine: a two-node network with user access, a disk, a machine mounting it,
 * and optionally a zdb; config `app:*` drives the update and replace cases.
 */
import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from '../../../../sdk';

const cfg = new pulumi.Config('app');
const node1 = cfg.getNumber('node1') ?? 1;
const node2 = cfg.getNumber('node2') ?? 2;
const net = new tfgrid.Network('net', { nodes: [node1, node2], addWgAccess: true });
const disk = new tfgrid.ZMount('data', { node: node1, size: cfg.get('diskSize') ?? '1GiB' });
const vm = new tfgrid.ZMachine('vm', {
  node: node1,
  network: net,
  flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
  cpu: cfg.getNumber('cpu') ?? 1,
  memory: '1GiB',
  mounts: [{ disk, mountpoint: '/data' }],
  env: { SSH_KEY: 'ssh-ed25519 AAAA test' },
});
const db = cfg.getBoolean('withDb') ? new tfgrid.Zdb('db', { node: node2, size: cfg.get('dbSize') ?? '1GiB' }) : undefined;

export const privateIp = vm.privateIp;
export const machineContract = vm.contractId;
export const wgConfig = net.accessConfig;
export const dbPassword = db?.generatedPassword;
