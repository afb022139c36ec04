import * as pulumi from '@pulumi/pulumi';
import * as tfgrid from 'pulumi-tfgrid';

// Proves the node's real backends in one program: a private network over two nodes with a container on
// each, a disk on the first that keeps its files when the machine using it is replaced, and a container that
// allocates more than its memory limit.
const cfg = new pulumi.Config();
// The local grid's hub serves a busybox flist (`tfgrid local up` builds it); any flist URL works.
const flist = cfg.get('flist') ?? 'http://127.0.0.1:8090/tf/base.flist';
// Changing the generation changes the writer's env, which replaces its machine; the disk stays.
const generation = cfg.get('generation') ?? '1';
const hogSize = cfg.get('hogSize') ?? '600M';
// `pulumi config set nodes '[1,2]'` pins the two nodes; otherwise the grid proxy finds two distinct ones with room for
// two machines each and the disk, kept on later `up`s.
const pinned = cfg.getObject<number[]>('nodes');
const picked = pinned ? undefined : new tfgrid.NodePicker('nodes', { memory: '512MiB', ssd: '1GiB', count: 2 }).nodeIds;
const [first, second]: pulumi.Input<number>[] = pinned ?? [0, 1].map((i) => (picked as pulumi.Output<number[]>).apply((ids) => ids[i]));

const net = new tfgrid.Network('net', { networkName: 'backends_proof', nodes: [first, second], ipRange: '10.40.0.0/16' });
const a = new tfgrid.ZMachine('a', { node: first, network: net, flist, cpu: 1, memory: '256MiB', entrypoint: '/bin/sleep 100000' });
const b = new tfgrid.ZMachine('b', { node: second, network: net, flist, cpu: 1, memory: '256MiB', entrypoint: '/bin/sleep 100000' });

const disk = new tfgrid.ZMount('keep', { node: first, size: '1GiB' });
// The first generation writes the note; every later one only appends its generation, so the note's first line
// can only come from the first machine.
const writer = new tfgrid.ZMachine('writer', {
  node: first,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  env: { GENERATION: generation },
  entrypoint: '/bin/sh -c "[ -f /data/note ] || echo written-by-generation-$GENERATION > /data/note; echo seen-by-generation-$GENERATION >> /data/note; sync; exec sleep 100000"',
  mounts: [{ disk, mountpoint: '/data' }],
});

// busybox dd allocates one buffer of `bs` bytes: far over the 256MiB limit.
const hog = new tfgrid.ZMachine('hog', {
  node: second,
  network: net,
  flist,
  cpu: 1,
  memory: '256MiB',
  entrypoint: `/bin/sh -c "sleep 2; dd if=/dev/zero of=/dev/null bs=${hogSize} count=1; exec sleep 100000"`,
});

export const nodeSubnets = net.nodeSubnets;
export const aIp = a.privateIp;
export const bIp = b.privateIp;
export const aId = a.machineId;
export const bId = b.machineId;
export const writerId = writer.machineId;
export const hogId = hog.machineId;
export const hogState = hog.state;
export const hogMessage = hog.message;
