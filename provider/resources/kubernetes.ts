/**
 * The `Kubernetes` component's inputs and outputs as schema.json and docs/resources.md describe them. The
 * component itself is SDK code (sdk/kubernetes.ts: ZMount, PublicIp and ZMachine children, no provider of its
 * own); this is the one place for its shape and for the rule on cluster node names, which the SDK applies.
 * @module
 */
import { z } from 'zod';
import { MAX_NAME_LENGTH } from '../../protocol/zos/validate';
import { nodeIdSchema, sizeSchema } from '../inputs';
import { timeoutSchema } from '../timeouts';
import { accountSchema } from '../account';

const NAME_ROOM = MAX_NAME_LENGTH - '_pubip'.length;

/** A cluster node's name: its machine's ZOS workload name and k3s node name; `<name>_pubip` must fit too. */
export const k8sNodeNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_]+$/, 'a cluster node name is letters, digits and _ (it is the ZOS workload name)')
  .max(NAME_ROOM, `a cluster node name has at most ${NAME_ROOM} characters (its IP workload is <name>_pubip)`);

/** One cluster node (master or worker): one shared type in schema.json (provider/schema.ts SHARED_TYPES). */
export const k8sNodeSchema = z.object({
  name: k8sNodeNameSchema.describe(`Machine workload name and k3s node name (letters, digits, _; at most ${NAME_ROOM}); its disk is <name>_disk, its IP <name>_pubip.`),
  node: nodeIdSchema.describe('Node id the machine runs on.'),
  cpu: z.number().int().min(1).describe('Logical CPUs.'),
  memory: sizeSchema.describe('Memory in bytes or with a binary unit.'),
  diskSize: sizeSchema.describe('The data disk (a ZMount mounted at /mnt/data, k3s K3S_DATA_DIR).'),
  rootfsSize: sizeSchema.optional().describe("Root filesystem size; default as grid_client's: 2GiB when cpu x memory reaches 8GiB, else 500MiB."),
  publicIp: z.boolean().default(false).describe('A public IPv4 (PublicIp <name>_pubip).'),
  publicIp6: z.boolean().default(false).describe('A public IPv6 (the same PublicIp).'),
  planetary: z.boolean().default(false).describe('A Yggdrasil IPv6.'),
  mycelium: z.boolean().default(false).describe('A mycelium IP (the network needs mycelium; a created one has it when a node asks).'),
  myceliumSeed: z.string().optional().describe('6-byte mycelium seed (12 hex); derived when omitted.'),
  ip: z.string().optional().describe('Pin the private IP.'),
  deployment: z.string().optional().describe('Deployment group of the node; default one per machine, <project>.<stack>.<cluster>.<name>.'),
});

export const kubernetesInputsSchema = z.object({
  token: z.string().min(1).describe('The cluster token (K3S_TOKEN), secret; the peers ask 6 to 15 letters and digits.'),
  sshKey: z.string().optional().describe('Public SSH key(s) for the machines (SSH_KEY).'),
  // Described in provider/schema.ts: a described copy would be a type of its own there.
  master: k8sNodeSchema,
  workers: z.array(k8sNodeSchema).default([]).describe('The k3s agents; adding or removing one changes only its own disk, IP and machine.'),
  // A Network resource in the SDK: schema.json refers to it (provider/schema.ts).
  network: z.string().optional(),
  flist: z.string().optional().describe('Flist of every machine; default the official k3s flist (https://hub.grid.tf/tf-official-apps/threefolddev-k3s-v1.31.0.flist).'),
  timeout: timeoutSchema.optional(),
  account: accountSchema.describe('The account (twin) and network of every resource of the cluster, instead of the stack config: { mnemonic (secret), network?, keyType? }.'),
});

export const kubernetesOutputDocs = {
  masterIp: { type: 'string', description: "The master's private IP (workers' K3S_URL is https://<masterIp>:6443)." },
  masterPublicIp: { type: 'string', description: 'The master\'s public IPv4 (CIDR), "" without publicIp.' },
  workerIps: { type: 'object', description: 'Worker name to private IP.' },
} as const;

export const KUBERNETES_DESCRIPTION =
  "A k3s cluster (component): a master and workers, each a ZMount data disk, an optional PublicIp and a ZMachine with the k3s flist, on a Network; the workloads are those ThreeFold's grid_client deploys.";
