/**
 * The Pulumi package schema (pulumi-notes.md §2.7), generated from the same zod schemas `check` uses, so the two
 * cannot drift: resources `tfgrid:index:<Type>` with their inputs, outputs, secrets and required fields, the
 * object types they use, and the `tfgrid:*` config. `scripts/gen-schema.ts` writes it to schema.json.
 * @module
 */
import { z } from 'zod';
import { CONFIG_DOCS, CONFIG_KEYS } from './config';
import { WORKLOAD_KINDS } from './kinds';
import { hubFlistInputsSchema, hubFlistOutputDocs } from './resources/hub-flist';
import { k8sNodeSchema, KUBERNETES_DESCRIPTION, kubernetesInputsSchema, kubernetesOutputDocs } from './resources/kubernetes';
import { rentContractInputsSchema, rentContractOutputDocs } from './resources/rent-contract';
import { NETWORK_SECRET_OUTPUTS, networkInputsSchema, networkOutputDocs } from './resources/network';
import { nodePickerInputsSchema, nodePickerOutputDocs } from './resources/node-picker';
import { timeoutPerOpSchema } from './timeouts';
import { accountObjectSchema } from './account';
import { objectShape } from './workload-resource';

type Json = Record<string, unknown>;

/**
 * Field descriptions: `<Owner>.<field>` (owner: the resource or nested type name schema.json uses) wins over the
 * bare `<field>` shared by many resources; a zod `.describe()` wins over both. Every input and output has one
 * (test/provider/schema.test.ts fails naming the field that has none).
 */
const FIELD_DOCS: Record<string, string> = {
  'PublicIp.v4': 'Reserve a public IPv4 from the farm on the node contract (default true).',
  'PublicIp.v6': "A public IPv6 by SLAAC on the node's public /64.",
  'ZMachine.ip': "Pin the private IP (in the node's /24, .2 to .254); allocated when omitted.",
  'ZMachine.entrypoint': 'Command run as the machine starts; empty for the image default (VMs boot their init).',
  'ZMachine.env': 'Environment variables of the entrypoint.',
  'ZMachine.mounts': 'Disks (ZMount), Volumes and Qsfs of the same deployment, each at an absolute mountpoint.',
  'ZMachine.publicIp': 'A PublicIp of the same deployment to attach.',
  'ZMachine.planetary': 'Give the machine a Yggdrasil (planetary network) IPv6; not on light nodes.',
  'ZMachine.mycelium': 'Give the machine a mycelium IP (the network must have mycelium).',
  'ZMachine.corex': 'Run corex (a web terminal) inside the machine.',
  'ZMachine.gpus': 'GPUs to pass through, each <pci slot>/<vendor>/<device> as zos.gpu.list reports them.',
  'ZMachineNetwork.name': 'Workload name of the network.',
  'ZMachineNetwork.mycelium': 'Whether the network has mycelium.',
  'ZMachineNetwork.subnets': "Legacy (older SDKs): node id to the network's /24 on that node.",
  'ZMachineMounts.name': 'Workload name of the disk or Qsfs.',
  'ZMachineMounts.node': "Node of the disk or Qsfs (the machine's node).",
  'ZMachineMounts.deployment': "Deployment group of the disk or Qsfs (the machine's group).",
  'ZMachineMounts.mountpoint': 'Absolute path in the machine, other than /.',
  'ZMachinePublicIp.name': 'Workload name of the PublicIp.',
  'ZMachinePublicIp.node': "Node of the PublicIp (the machine's node).",
  'ZMachinePublicIp.deployment': "Deployment group of the PublicIp (the machine's group).",
  'Zdb.size': 'Namespace size on HDD: bytes or with a binary unit, e.g. "10GiB".',
  'Zdb.mode': 'user (key-value) or seq (sequential, what qsfs uses).',
  'Zdb.password': 'Namespace password (secret); generated when omitted.',
  'Zdb.public': 'A public namespace can be read without the password.',
  'Qsfs.minimalShards': 'Shards needed to rebuild the data (at most expectedShards).',
  'Qsfs.expectedShards': 'Shards written per block (at most the number of data backends).',
  'Qsfs.redundantGroups': 'Groups that may be lost without losing data.',
  'Qsfs.redundantNodes': 'Nodes per group that may be lost without losing data.',
  'Qsfs.maxZdbDataDirSize': 'Maximum size of the zdb data directory in MiB before it is uploaded to the backends.',
  'Qsfs.encryptionKey': 'Data encryption key (hex, secret); generated when omitted.',
  'Qsfs.compression': 'Compression of the data: snappy.',
  'Qsfs.metadata': 'Where the metadata goes: a key prefix, its encryption key and zdb backends.',
  'Qsfs.groups': 'Groups of data zdb backends (Zdb in seq mode).',
  'QsfsMetadata.prefix': 'Key prefix of this file system in the metadata store.',
  'QsfsMetadata.encryptionKey': 'Metadata encryption key (hex, secret); generated when omitted.',
  'QsfsMetadata.backends': 'Metadata zdb backends.',
  'QsfsGroups.backends': 'Data zdb backends of the group.',
  'NameProxy.subdomain': 'The name: the gateway serves <subdomain>.<node domain> (3 to 64 of a-z, 0-9, _ and -; a TFChain name contract).',
  'FqdnProxy.fqdn': 'Your domain, pointed (DNS A/AAAA) at the gateway node.',
  'ZLogs.zmachine': 'The ZMachine whose logs are streamed (its workload name; same deployment).',
  'ZLogs.output': 'Where logs go: a redis://host:port/<channel>, ws:// or wss:// URL.',
  'Network.accessNode': 'Node that gives your machine WireGuard access (with addWgAccess); needs a public IPv4.',
  'Network.mycelium': 'Give the network mycelium (keys are generated and kept).',
  'Kubernetes.master': 'The k3s server.',
  'NodePicker.cpu': 'Free logical CPUs needed.',
  'NodePicker.memory': 'Free memory needed: bytes or with a binary unit.',
  'NodePicker.ssd': 'Free SSD needed (disks, rootfs, qsfs cache).',
  'NodePicker.hdd': 'Free HDD needed (zdb).',
  'NodePicker.publicIpv4': "The node's farm must have this many free public IPv4 addresses.",
  'NodePicker.publicIpv6': 'The node must have a public IPv6.',
  'NodePicker.domain': 'The node must have a gateway domain (for NameProxy).',
  'NodePicker.farmId': 'Only nodes of this farm.',
  'NodePicker.country': 'Country name or code as registered on the chain.',
  'NodePicker.exclude': 'Node ids never to pick.',
  address: "[ip]:port of a zdb (a Zdb's endpoint output).",
  namespace: "Name of the zdb namespace (a Zdb's namespace output).",
  password: 'Password of the zdb namespace.',
  node: 'Node id the workload runs on.',
  deployment: 'Deployment group: workloads of one group on one node share one ZOS deployment and node contract.',
  name: 'ZOS workload name (letters, digits and _; at most 36).',
  description: 'Free text stored with the workload.',
  adoptContractId: 'Take over an existing deployment (node contract id) instead of creating one.',
  size: 'Size in bytes or with a binary unit, e.g. "10GiB".',
  cache: 'Cache size in bytes or with a binary unit.',
  memory: 'Memory in bytes or with a binary unit (at least 250MiB).',
  rootfsSize: 'Root filesystem size; 0 means the ZOS minimum.',
  flist: 'Flist URL: a container rootfs, a VM image (/image.raw) or a kernel flist (/boot/vmlinuz).',
  cpu: 'Logical CPUs.',
  backends: 'Backends: http://ip:port URLs, or ip:port with tlsPassthrough.',
  tlsPassthrough: 'Route TLS by SNI to the backends instead of terminating it on the gateway.',
  network: 'The private network.',
  nodes: 'Nodes the network spans.',
  ipRange: 'Private IPv4 /16 of the network.',
  addWgAccess: 'Add a WireGuard peer for your machine and output a wg-quick config.',
};

const COMMON_OUTPUT_DOCS: Record<string, { type: string; description: string }> = {
  twinId: { type: 'integer', description: 'The deploying twin.' },
  contractId: { type: 'integer', description: 'Node contract of the deployment holding the workload.' },
  version: { type: 'integer', description: 'Workload version in the deployment.' },
  state: { type: 'string', description: 'Workload state on the node: ok, error, paused, init, gone or unreachable.' },
  message: { type: 'string', description: "The node's message for the state, verbatim." },
  workloadId: { type: 'string', description: 'ZOS workload id <twin>-<contract>-<name>.' },
};

function unwrap(t: z.ZodTypeAny): { inner: z.ZodTypeAny; optional: boolean; dflt?: unknown } {
  let cur = t;
  let optional = false;
  let dflt: unknown;
  for (;;) {
    if (cur instanceof z.ZodOptional) {
      optional = true;
      cur = cur._def.innerType;
    } else if (cur instanceof z.ZodDefault) {
      optional = true;
      dflt = cur._def.defaultValue();
      cur = cur._def.innerType;
    } else if (cur instanceof z.ZodEffects) cur = cur._def.schema;
    else return { inner: cur, optional, dflt };
  }
}

/** Object schemas every resource shares: one named type each instead of one per resource. */
const SHARED_TYPES = new Map<z.ZodTypeAny, string>([
  [timeoutPerOpSchema, 'Timeout'],
  [k8sNodeSchema, 'KubernetesNode'],
  [accountObjectSchema, 'Account'],
]);

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Converts one zod type to a Pulumi type spec, registering object types under `types`. */
function typeSpec(t: z.ZodTypeAny, typeName: string, types: Json): Json {
  const { inner } = unwrap(t);
  if (inner instanceof z.ZodString) return { type: 'string' };
  if (inner instanceof z.ZodNumber) return { type: inner.isInt ? 'integer' : 'number' };
  if (inner instanceof z.ZodBoolean) return { type: 'boolean' };
  if (inner instanceof z.ZodEnum) return { type: 'string' };
  if (inner instanceof z.ZodArray) return { type: 'array', items: typeSpec(inner.element, typeName, types) };
  if (inner instanceof z.ZodRecord) return { type: 'object', additionalProperties: typeSpec(inner.valueSchema, typeName, types) };
  if (inner instanceof z.ZodUnion) {
    const opts = (inner.options as z.ZodTypeAny[]).map((o) => typeSpec(o, typeName, types));
    return { oneOf: opts };
  }
  if (inner instanceof z.ZodObject) {
    const name = SHARED_TYPES.get(inner) ?? typeName;
    const token = `tfgrid:index:${name}`;
    if (!types[token]) {
      types[token] = { type: 'object' }; // reserve first (recursion)
      const { properties, required } = propertiesOf(inner.shape as Record<string, z.ZodTypeAny>, name, types);
      types[token] = { type: 'object', properties, ...(required.length ? { required } : {}) };
    }
    return { $ref: `#/types/${token}` };
  }
  return { $ref: 'pulumi.json#/Any' };
}

function propertiesOf(shape: Record<string, z.ZodTypeAny>, owner: string, types: Json): { properties: Json; required: string[] } {
  const properties: Json = {};
  const required: string[] = [];
  for (const [k, v] of Object.entries(shape)) {
    const { optional, dflt } = unwrap(v);
    const spec: Json = { ...typeSpec(v, `${owner}${pascal(k)}`, types) };
    const doc = v.description ?? FIELD_DOCS[`${owner}.${k}`] ?? FIELD_DOCS[k];
    if (doc) spec.description = doc;
    if (dflt !== undefined && (typeof dflt === 'string' || typeof dflt === 'number' || typeof dflt === 'boolean')) spec.default = dflt;
    properties[k] = spec;
    if (!optional) required.push(k);
  }
  return { properties, required };
}

function resourceSpec(
  typeName: string,
  description: string,
  inputShape: Record<string, z.ZodTypeAny>,
  outputs: Record<string, { type: string; items?: string; description: string; secret?: boolean }>,
  types: Json,
): Json {
  const { properties: inputProperties, required: requiredInputs } = propertiesOf(inputShape, typeName, types);
  const properties: Json = { ...inputProperties };
  for (const [k, o] of Object.entries(outputs)) {
    const t =
      o.type === 'object' ? { type: 'object', additionalProperties: { $ref: 'pulumi.json#/Any' } } : o.type === 'array' ? { type: 'array', items: { type: o.items ?? 'string' } } : { type: o.type };
    properties[k] = { ...t, description: o.description, ...(o.secret ? { secret: true } : {}) };
  }
  return {
    description,
    properties,
    required: Object.keys(outputs),
    inputProperties,
    requiredInputs,
  };
}

/** The whole package schema. */
export function buildSchema(version: string): Json {
  const types: Json = {};
  const resources: Json = {};
  for (const [typeName, kind] of Object.entries(WORKLOAD_KINDS)) {
    resources[`tfgrid:index:${typeName}`] = resourceSpec(typeName, kind.description, objectShape(kind.inputs)!, { ...kind.outputDocs, ...COMMON_OUTPUT_DOCS }, types);
  }
  const netOutputs = Object.fromEntries(Object.entries(networkOutputDocs).map(([k, v]) => [k, { ...v, ...(NETWORK_SECRET_OUTPUTS.includes(k) ? { secret: true } : {}) }]));
  const network = resourceSpec('Network', 'A private WireGuard network spanning nodes, one /24 per node.', objectShape(networkInputsSchema)!, netOutputs, types);
  // Mycelium keys are secret as inputs too (the SDK passes them with pulumi.secret).
  for (const where of ['inputProperties', 'properties'] as const) {
    const props = network[where] as Json;
    props.myceliumKeys = { ...(props.myceliumKeys as Json), secret: true };
  }
  resources['tfgrid:index:Network'] = network;
  resources['tfgrid:index:NodePicker'] = resourceSpec(
    'NodePicker',
    'Picks count distinct nodes by free capacity, public IPs, domain, farm, country, rental (dedicated, rentable, rented by me), certification and GPU, through the grid proxy, among the nodes the deploying twin may use; the choice is kept in state and kept while it still fits.',
    nodePickerInputsSchema.shape,
    nodePickerOutputDocs,
    types,
  );
  resources['tfgrid:index:RentContract'] = resourceSpec(
    'RentContract',
    'Rents a whole node (TFChain rent contract): only the renter may deploy there; cancelled on delete, which the chain refuses while node contracts remain on the node.',
    rentContractInputsSchema.shape,
    rentContractOutputDocs,
    types,
  );
  resources['tfgrid:index:HubFlist'] = resourceSpec(
    'HubFlist',
    "A local docker image converted to a flist on a hub (docker save, then the hub's image→flist conversion); a new image id replaces it.",
    hubFlistInputsSchema.shape,
    hubFlistOutputDocs,
    types,
  );
  // A component of the SDK (sdk/kubernetes.ts): its children are the resources above.
  const k8s = resourceSpec('Kubernetes', KUBERNETES_DESCRIPTION, kubernetesInputsSchema.shape, kubernetesOutputDocs, types);
  for (const where of ['inputProperties', 'properties'] as const) {
    const props = k8s[where] as Json;
    props.token = { ...(props.token as Json), secret: true };
    props.network = { $ref: '#/resources/tfgrid:index:Network', description: 'A Network for the machines; default a new one over the cluster nodes (<cluster>_net).' };
  }
  resources['tfgrid:index:Kubernetes'] = { ...k8s, isComponent: true };
  // An account holds a mnemonic: secret as an input and wherever a resource keeps it (the SDK passes it so).
  for (const r of Object.values(resources) as Json[]) {
    for (const where of ['inputProperties', 'properties'] as const) {
      const props = r[where] as Json;
      if (props.account) props.account = { ...(props.account as Json), secret: true };
    }
  }
  const account = types['tfgrid:index:Account'] as { properties: Json } | undefined;
  if (account) account.properties.mnemonic = { ...(account.properties.mnemonic as Json), secret: true };
  const variables: Json = {};
  for (const [k, doc] of Object.entries(CONFIG_DOCS)) {
    const env = CONFIG_KEYS[k as keyof typeof CONFIG_KEYS].env;
    variables[k] = {
      ...(doc.type === 'array' ? { type: 'array', items: { type: 'string' } } : { type: doc.type }),
      description: doc.description,
      ...(doc.secret ? { secret: true } : {}),
      ...(doc.default !== undefined ? { default: doc.default } : {}),
      defaultInfo: { environment: [env] },
    };
  }
  return {
    name: 'tfgrid',
    displayName: 'ThreeFold Grid',
    version,
    description: 'Zero-OS workloads on the ThreeFold Grid: networks, public IPs, disks, machines, zdb, qsfs and gateways as versioned deployments.',
    keywords: ['pulumi', 'threefold', 'zos', 'category/infrastructure', 'kind/native'],
    license: 'Apache-2.0',
    repository: 'https://github.com/threefoldtech/pulumi-tfgrid',
    publisher: 'pulumi-tfgrid',
    meta: { moduleFormat: '(.*)' },
    config: { variables },
    types,
    provider: { description: 'The tfgrid provider: configured from stack config (tfgrid:*) and TFGRID_* environment variables.', type: 'object', inputProperties: {}, properties: {} },
    resources,
    language: { nodejs: { packageName: 'pulumi-tfgrid', dependencies: { '@pulumi/pulumi': '^3.0.0' } } },
  };
}

/** The schema as written to schema.json (stable key order, trailing newline). */
export function renderSchema(version: string): string {
  return `${JSON.stringify(buildSchema(version), null, 2)}\n`;
}
