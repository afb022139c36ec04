/**
 * `count` container machines spread round-robin over nodes 1..`nodes`, on one network spanning them
 * (bench/real-engine.bench.ts): two dependency waves (the network, then every machine at once).
 */
import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from '../../../sdk';

const cfg = new pulumi.Config();
const count = cfg.requireNumber('count');
const nodeCount = cfg.getNumber('nodes') ?? 3;
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
const nodes = Array.from({ length: Math.min(nodeCount, count) }, (_, i) => i + 1);
const net = new tfgrid.Network('net', { networkName: 'bench_net', nodes });
const machines = Array.from({ length: count }, (_, i) => new tfgrid.ZMachine(`vm${i}`, { node: nodes[i % nodes.length], network: net, flist, cpu: 1, memory: '256MiB' }));

export const machineCount = machines.length;
