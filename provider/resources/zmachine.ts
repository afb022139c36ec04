/**
 * ZMachine: a virtual machine or container (zos-protocol.md §1.5 zmachine, §6.2–§6.3). ZOS cannot update a
 * machine in place, so every change replaces it; when the replacement keeps its place (same node, deployment and
 * name) the old one is deleted first. Disks, the public IP and zlogs must be in the same deployment; the private IP
 * is allocated without collisions (asks the node, `zos.network.list_private_ips`) unless pinned, and a replaced
 * machine gets its old IP back (issue 18.7) while the network and `ip` stay the same.
 *
 * A machine depends on what it uses (issue 22): the network's identity (name, /16, mycelium), all known at preview
 * from the Network's args, and its own node's /24, found at create on the node (the network's workload there). It
 * never takes the map of every node's subnet, so a network growing or shrinking by another node leaves the machine
 * as it is: same workload, same IP, no preview that says `same` and an `up` that replaces. The network's node list
 * is an input only for the preview-time check that the machine's node is one of them; the diff ignores it.
 * States written by older SDKs hold `network.subnets` (every node's /24): still read, compared by the /16 it implies.
 *
 * Mycelium addresses stay put (issue 15). ZOS makes a machine's mycelium IP from the network's mycelium key on
 * the node (its /64) and the machine's 6-byte seed (the last 48 bits). A replacement's `create` never sees the
 * old outputs, so a seed drawn at random moved the address on every change of the machine. Without a
 * `myceliumSeed` input the seed is now derived, not drawn: HMAC-SHA256 keyed with the network's mycelium key on
 * the node (read from the network's workload there, as the /24 is), over the machine's node, deployment and name
 * (`derivedMyceliumSeed`). It needs no state and survives provider restarts: the same machine in the same network
 * gets the same seed, so a replaced machine keeps its mycelium IP; another name, or a new network (new key), gives
 * another. Keyed with a secret, it does not tell who knows the names where a machine's address is. A given
 * `myceliumSeed` wins (peers' `mycelium_ip_seed`); machines created with a random seed before keep it while they
 * stay and get the derived one when next replaced. On a light node the machine is `zmachine-light`: no public IP,
 * no planetary (refused, not dropped as grid_client does).
 *
 * `flistChecksum` is the clients' check, not a ZOS field (flist-checksum.ts): never on the wire, so changing it
 * alone replaces nothing (the update sends the same workload, which the coordinator skips).
 * @module
 */
import { createHmac } from 'crypto';
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { groupSchema, nodeIdSchema, containsUnknown, parseSize, sizeAtLeast, sizeSchema, workloadNameSchema, type CheckFailure } from '../inputs';
import { parseV4 } from '../ip-allocator';
import { isNetworkType, nodeKind, zmachineWireType, type NodeKind } from '../node-kind';
import { goParse } from '../../protocol/zos/go-json';
import { MIN_MEMORY, RESERVED_NETWORK_NAMES, zmachineResultSchema, type ZMachineData, type ZMachineLightData } from '../../protocol/zos/types';
import { commonInputShape, type PrepareContext, type ResourceKind } from '../workload-resource';
import { flistChecksumRefusal, MD5_HEX } from './flist-checksum';
import { DEFAULT_NETWORK_RANGE, networkGroup } from './network';

/** A workload of the same deployment, referenced by object in the SDK. */
const sameDeploymentRef = z.object({ name: workloadNameSchema, node: nodeIdSchema, deployment: groupSchema });

export const zmachineInputsSchema = z
  .object({
    ...commonInputShape,
    /** Flist URL: a container rootfs, or a VM image (`/image.raw`) or kernel (`/boot/vmlinuz`). */
    flist: z.string().min(1, 'an flist URL is required'),
    /** md5 of the flist file, checked against `<flist>.md5` on the hub before deploying (flist-checksum.ts); never sent. */
    flistChecksum: z
      .string()
      .regex(MD5_HEX, 'an flist checksum is the md5 of the flist file, 32 hex characters (the hub serves it at <flist>.md5)')
      .optional()
      .describe('md5 of the flist file (32 hex); the provider refuses the machine when <flist>.md5 on the hub differs. Not sent to the node.'),
    /** The private network (the SDK passes what the Network's args say, known at preview). */
    network: z.object({
      name: workloadNameSchema.refine((n) => !(RESERVED_NETWORK_NAMES as readonly string[]).includes(n), "'ygg', 'pub' and 'mycelium' are reserved network names"),
      /** The network's /16 (its `ipRange`): part of its identity, a new range is a new network. */
      ipRange: z.string().optional(),
      mycelium: z.boolean().default(false),
      /** The network's nodes, for the preview-time check that the machine's node is one of them; not compared by diff. */
      nodes: z.array(nodeIdSchema).optional(),
      /** Legacy (older SDKs): node id → the network's /24 on that node. */
      subnets: z.record(z.string()).optional(),
    }),
    /** Pin the private IP (must be in the node's /24, .2–.254); allocated when omitted. */
    ip: z.string().optional(),
    cpu: z.number().int().min(1, "cpu capacity can't be 0").max(255),
    /** Memory: bytes or "2GiB" (at least 250MiB). */
    memory: sizeAtLeast(MIN_MEMORY, "mem capacity can't be less than 250MiB"),
    /** Root filesystem size: bytes or "10GiB"; 0 = the ZOS minimum. */
    rootfsSize: sizeSchema.default(0),
    entrypoint: z.string().default(''),
    env: z.record(z.string()).default({}),
    mounts: z.array(sameDeploymentRef.extend({ mountpoint: z.string().regex(/^\/.+/, 'must be an absolute path other than /') })).default([]),
    publicIp: sameDeploymentRef.optional(),
    planetary: z.boolean().default(false),
    /** Give the machine a mycelium IP (the network must have mycelium). */
    mycelium: z.boolean().default(false),
    /**
     * The machine's 6-byte mycelium seed (12 hex), the last 48 bits of its mycelium IP; derived from the network's
     * key and the machine's place when omitted, so a replaced machine keeps its address either way.
     */
    myceliumSeed: z
      .string()
      .regex(/^[0-9a-fA-F]{12}$/, 'a mycelium seed is 6 bytes of hex (12 characters)')
      .refine((v) => !/^(0{12}|[fF]{12})$/.test(v), 'a mycelium seed of all 00 or all ff is refused by ZOS (invalid seed)')
      .optional()
      .describe("6-byte mycelium seed (12 hex), the last 48 bits of myceliumIp; derived from the network key and the machine's node, deployment and name when omitted (stable across replacement)."),
    corex: z.boolean().default(false),
    gpus: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/[0-9a-fA-F]{4}\/[0-9a-fA-F]{4}$/, 'a GPU id is <pci slot>/<vendor>/<device> from zos.gpu.list')).default([]),
  })
  .superRefine((i, ctx) => {
    const place = (ref: { node: number; deployment: string; name: string }, path: (string | number)[], what: string) => {
      if (ref.node !== i.node || ref.deployment !== i.deployment) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path,
          message: `${what} "${ref.name}" is on node ${ref.node} in deployment "${ref.deployment}", the machine on node ${i.node} in "${i.deployment}"; ZOS only uses ${what}s of the same deployment: give both the same node and deployment`,
        });
      }
    };
    i.mounts.forEach((m, idx) => place(m, ['mounts', idx], 'disk'));
    if (i.publicIp) place(i.publicIp, ['publicIp'], 'public IP');
    const members = i.network.nodes ?? Object.keys(i.network.subnets ?? {}).map(Number);
    if (members.length > 0 && !members.includes(i.node)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['network'],
        message: `node ${i.node} is not part of network "${i.network.name}" (nodes ${members.join(', ')}); add it to the Network's nodes`,
      });
    }
    if (i.mycelium && !i.network.mycelium) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mycelium'], message: `network "${i.network.name}" has no mycelium; set mycelium: true on the Network` });
    if (i.myceliumSeed !== undefined && !i.mycelium) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['myceliumSeed'], message: 'myceliumSeed given but mycelium is false; set mycelium: true' });
  });
export type ZMachineInputs = z.infer<typeof zmachineInputsSchema>;

/** `10.20.0.0/16` for `10.20.2.0/24`. */
function range16Of(subnet: string): string | undefined {
  const a = parseV4(subnet.split('/')[0] ?? '');
  return a ? `${a[0]}.${a[1]}.0.0/16` : undefined;
}

/** Pure: what identifies the machine's network for the diff (legacy `subnets` give their /16); nodes left out. */
export function networkIdentity(network: unknown, node: unknown): { name: unknown; ipRange: unknown; mycelium: unknown } {
  const n = (network ?? {}) as { name?: unknown; ipRange?: unknown; mycelium?: unknown; subnets?: Record<string, string> };
  const legacy = n.subnets ? (n.subnets[String(node)] ?? Object.values(n.subnets)[0]) : undefined;
  const ipRange = n.ipRange ?? (typeof legacy === 'string' ? range16Of(legacy) : undefined) ?? DEFAULT_NETWORK_RANGE;
  return { name: n.name, ipRange, mycelium: n.mycelium ?? false };
}

/**
 * The network's workload on the machine's node (deployment group `net.<name>`, type `network` or `network-light`):
 * its /24 and mycelium key. Read when the machine is created, after the network; legacy inputs carry the /24.
 */
async function networkOnNode(i: ZMachineInputs, ctx: PrepareContext): Promise<{ subnet: string; myceliumKey?: string }> {
  const notMember = () =>
    new InputError(`ZMachine "${i.name}": node ${i.node} is not part of network "${i.network.name}" (the node has no workload of it)`, { path: 'network', fix: "add the node to the Network's nodes" });
  const d = await ctx.runtime.coordinator.current(i.node, networkGroup(i.network.name));
  const w = d?.workloads.find((x) => isNetworkType(x.type) && x.name === i.network.name);
  const key = (w?.data.mycelium as { hex_key?: unknown } | undefined)?.hex_key;
  const myceliumKey = typeof key === 'string' && key !== '' ? key : undefined;
  const given = i.network.subnets?.[String(i.node)];
  if (given) return { subnet: given, myceliumKey };
  const subnet = typeof w?.data.subnet === 'string' ? w.data.subnet : undefined;
  if (!subnet) throw notMember();
  const range = i.network.ipRange ?? DEFAULT_NETWORK_RANGE;
  if (range16Of(subnet) !== range) {
    throw new InputError(`ZMachine "${i.name}": network "${i.network.name}" on node ${i.node} uses ${subnet}, outside its ipRange ${range}`, {
      path: 'network',
      fix: 'give the machine the Network object it joins',
    });
  }
  return { subnet, myceliumKey };
}

/**
 * Pure: the machine's mycelium seed when none is given: HMAC-SHA256 keyed with the network's mycelium key on the
 * node (32 bytes hex) over the machine's node, deployment and name, first 6 bytes that are not all 00 or all ff
 * (ZOS refuses those). Same network key and place, same seed: see the module comment.
 */
export function derivedMyceliumSeed(networkKeyHex: string, place: { node: number; deployment: string; name: string }): string {
  const mac = createHmac('sha256', Buffer.from(networkKeyHex, 'hex')).update(`tfgrid/zmachine-mycelium-seed/v1\0${place.node}\0${place.deployment}\0${place.name}`).digest();
  for (let off = 0; off + 6 <= mac.length; off++) {
    const seed = mac.subarray(off, off + 6).toString('hex');
    if (seed !== '000000000000' && seed !== 'ffffffffffff') return seed;
  }
  /* c8 ignore next */
  throw new Error('unreachable: a SHA-256 digest of only 00 or ff bytes');
}

/** The allocator's key for a machine: a replaced machine (same deployment and name) gets its IP back. */
const ownerOf = (i: { deployment: string; name: string }) => `${i.deployment}/${i.name}`;

/** Pure: what a machine asks that its node's kind lacks (a light node: public IP, planetary), as check failures. */
export function nodeKindRefusals(i: ZMachineInputs, kind: NodeKind): CheckFailure[] {
  if (!kind.light) return [];
  const refuse = (what: string, property: string): CheckFailure => ({
    property,
    reason: `ZMachine "${i.name}": node ${i.node} is a light node (zmachine-light), which has no ${what}. Fix: remove ${property} or pick a full node`,
  });
  return [...(i.publicIp ? [refuse('public IPs', 'publicIp')] : []), ...(i.planetary ? [refuse('planetary (yggdrasil) network', 'planetary')] : [])];
}

/** The flist checksum refusal, if any, as check failures (preview of a new machine or of a change). */
async function checksumFailures(i: ZMachineInputs): Promise<CheckFailure[]> {
  const r = await flistChecksumRefusal(i.name, i.flist, i.flistChecksum);
  return r ? [r] : [];
}

async function allocate(i: ZMachineInputs, ctx: PrepareContext): Promise<Record<string, unknown>> {
  const badChecksum = await flistChecksumRefusal(i.name, i.flist, i.flistChecksum);
  if (badChecksum) throw new InputError(badChecksum.reason, { path: badChecksum.property });
  const kind = await nodeKind(ctx.runtime, i.node);
  const refused = nodeKindRefusals(i, kind)[0];
  if (refused) throw new InputError(refused.reason, { path: refused.property });
  // On an in-place update (only provider-side inputs changed) the machine keeps what it has.
  const kept = ctx.olds && typeof ctx.olds.privateIp === 'string' ? ctx.olds.privateIp : undefined;
  const seedKept = ctx.olds && typeof ctx.olds.myceliumSeed === 'string' ? ctx.olds.myceliumSeed : undefined;
  const needKey = i.mycelium && !i.myceliumSeed && !seedKept;
  const net = !kept || needKey ? await networkOnNode(i, ctx) : undefined;
  let privateIp = kept;
  if (!privateIp) {
    const api = await ctx.runtime.deps.node(i.node);
    const used = await api.listPrivateIps(i.network.name);
    privateIp = ctx.runtime.ips.allocate(i.node, i.network.name, net!.subnet, used, i.ip, ownerOf(i));
  }
  let myceliumSeed = i.myceliumSeed?.toLowerCase() ?? seedKept;
  if (i.mycelium && !myceliumSeed) {
    if (!net?.myceliumKey) {
      throw new InputError(`ZMachine "${i.name}": network "${i.network.name}" has no mycelium key on node ${i.node} (ZOS: mycelium is not configured for this network resource)`, {
        path: 'mycelium',
        fix: 'set mycelium: true on the Network and up it first',
      });
    }
    myceliumSeed = derivedMyceliumSeed(net.myceliumKey, i);
  }
  return { privateIp, workloadType: zmachineWireType(kind), ...(i.mycelium ? { myceliumSeed } : {}) };
}

/**
 * Outputs besides the inputs (for schema.json and the SDK class, which declares each one). None is secret: the
 * mycelium seed only picks the machine's address inside the network's mycelium range, and moves that address only
 * together with the network's mycelium key (zosbase `MyceliumIP`), which the Network keeps secret.
 */
export const zmachineOutputDocs = {
  privateIp: { type: 'string', description: 'IPv4 in the private network.' },
  planetaryIp: { type: 'string', description: 'Yggdrasil IPv6, when planetary.' },
  myceliumIp: { type: 'string', description: 'Mycelium IPv6, when mycelium.' },
  myceliumSeed: {
    type: 'string',
    description: "The 6-byte mycelium seed (hex): the given one, or derived from the network key and the machine's place, so it survives replacement: the last 48 bits of myceliumIp.",
  },
  workloadType: { type: 'string', description: "zmachine, or zmachine-light on a light node (found from the node's features)." },
  consoleUrl: { type: 'string', description: 'Console address inside the private network.' },
  machineId: { type: 'string', description: 'The machine id on the node.' },
} as const satisfies ResourceKind<ZMachineInputs>['outputDocs'];

/**
 * The machine's wire data: `zmachine`, or `zmachine-light` on a light node, whose network has only interfaces and
 * mycelium (zos-protocol.md §1.5). Typed by protocol/zos: a field the schema adds fails the build here.
 */
export function zmachineData(i: ZMachineInputs, p: Record<string, unknown>): ZMachineData | ZMachineLightData {
  const links = {
    interfaces: [{ network: i.network.name, ip: String(p.privateIp) }],
    ...(i.mycelium ? { mycelium: { network: i.network.name, hex_seed: String(p.myceliumSeed) } } : {}),
  };
  const body = {
    size: BigInt(parseSize(i.rootfsSize, 'rootfsSize')),
    compute_capacity: { cpu: i.cpu, memory: BigInt(parseSize(i.memory, 'memory')) },
    mounts: i.mounts.map((m) => ({ name: m.name, mountpoint: m.mountpoint })),
    entrypoint: i.entrypoint,
    env: i.env,
    corex: i.corex,
    gpu: i.gpus,
  };
  // Each branch checked against its own type: against the union, a full machine would pass as a light one.
  if (p.workloadType === 'zmachine-light') return { flist: i.flist, network: links, ...body } satisfies ZMachineLightData;
  return { flist: i.flist, network: { public_ip: i.publicIp?.name ?? '', planetary: i.planetary, ...links }, ...body } satisfies ZMachineData;
}

export const zmachineKind: ResourceKind<ZMachineInputs, 'zmachine' | 'zmachine-light'> = {
  typeName: 'ZMachine',
  workloadType: 'zmachine',
  description: 'A virtual machine or container on a node, in a private network, with optional disks and public IP.',
  inputs: zmachineInputsSchema,
  outputDocs: zmachineOutputDocs,
  // The node downloads the flist, then boots; a silent flist server shows here, not as minutes of nothing.
  waitingFor: (i) => `the node to fetch flist ${i.flist} and start the machine`,
  // Preview says it when the node is a light one and the machine asks what light nodes lack.
  liveCheck: async (i, runtime) => [...(await checksumFailures(i)), ...nodeKindRefusals(i, await nodeKind(runtime, i.node))],
  liveCheckUpdate: async (_olds, i) => checksumFailures(i),
  // The checksum needs only the flist and itself: a machine on a node not known yet (rented in the same `up`) is
  // refused at its first preview too, before anything is rented or deployed.
  liveCheckPartial: async (raw) => {
    const known = (v: unknown): v is string => typeof v === 'string' && !containsUnknown(v);
    if (!known(raw.flist) || !known(raw.flistChecksum) || !MD5_HEX.test(raw.flistChecksum)) return [];
    const r = await flistChecksumRefusal(known(raw.name) ? raw.name : '?', raw.flist, raw.flistChecksum);
    return r ? [r] : [];
  },
  prepare: allocate,
  // Another stack of the twin (another provider process) can take the IP this one picked a moment earlier; the node
  // refuses the second machine with this text. An IP the user pinned is theirs to change.
  retryCreate: (err, i) => !i.ip && /ip \S+ is already used by another machine/.test(errorText(err)),
  wireType: (p) => (p.workloadType === 'zmachine-light' ? 'zmachine-light' : 'zmachine'),
  // Before `__inputs`, a state's `myceliumSeed` was the drawn seed (an output), not an input.
  outputsBefore: ['myceliumSeed'],
  release: (o, runtime) => {
    const net = (o.network as { name?: string } | undefined)?.name;
    if (typeof o.privateIp === 'string' && net) runtime.ips.release(Number(o.node), net, o.privateIp, ownerOf({ deployment: String(o.deployment), name: String(o.name) }));
  },
  compareView: (i) => ({ ...i, network: networkIdentity(i.network, i.node) }),
  toWire: zmachineData,
  resultOutputs: (data, _i, p) => {
    // The protocol's result type (a light machine's result lacks planetary_ip: ''); older nodes' ygg_ip is folded in.
    const r = goParse(zmachineResultSchema, data ?? {});
    const d = r.success ? r.data : zmachineResultSchema.parse({});
    return { privateIp: d.ip || String(p.privateIp ?? ''), planetaryIp: d.planetary_ip, myceliumIp: d.mycelium_ip, consoleUrl: d.console_url, machineId: d.id };
  },
};
