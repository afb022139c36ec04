/**
 * The stack of bench/stack-scale.bench.ts (test/provider/stack-scale.ts `stackMix`) as a Pulumi program, for the
 * real-CLI row (bench/stack-scale-cli.bench.ts): of `count` resources, one Network over nodes 1..`nodes`, 10%
 * NameProxy gateways on node 1, 20% zdbs, and machines each mounting a disk of its own (4 dependency waves).
 * `grown: true` grows every second zdb (the update of 10%).
 */
import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from '../../../sdk';

const cfg = new pulumi.Config();
const count = cfg.requireNumber('count');
const nodeCount = cfg.getNumber('nodes') ?? 5;
const grown = cfg.getBoolean('grown') ?? false;
const tag = cfg.require('tag');
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
const nodes = Array.from({ length: nodeCount }, (_, i) => i + 1);
const nodeOf = (i: number) => nodes[i % nodes.length];

const gateways = Math.max(1, Math.floor(count / 10));
const zdbs = Math.max(1, Math.floor(count / 5));
const machines = Math.max(1, Math.floor((count - 1 - gateways - zdbs) / 2));
const disks = count - 1 - gateways - zdbs - machines;

const net = new tfgrid.Network('net', { networkName: 'net', nodes });
const diskList = Array.from({ length: disks }, (_, i) => new tfgrid.ZMount(`disk${i}`, { node: nodeOf(i), deployment: 'app', size: '1GiB' }));
Array.from({ length: zdbs }, (_, i) => new tfgrid.Zdb(`zdb${i}`, { node: nodeOf(i), deployment: 'data', size: grown && i % 2 === 0 ? '2GiB' : '1GiB', password: 'scale-bench' }));
const vms = Array.from(
  { length: machines },
  (_, i) =>
    new tfgrid.ZMachine(`vm${i}`, {
      node: nodeOf(i),
      deployment: 'app',
      network: net,
      flist,
      cpu: 1,
      memory: '256MiB',
      mounts: i < disks ? [{ disk: diskList[i], mountpoint: '/data' }] : [],
    }),
);
Array.from(
  { length: gateways },
  (_, i) => new tfgrid.NameProxy(`gw${i}`, { node: nodes[0], deployment: 'gw', subdomain: `s${tag}${i}`, backends: [pulumi.interpolate`http://${vms[i % machines].privateIp}:80`], network: net }),
);

export const resources = count;
