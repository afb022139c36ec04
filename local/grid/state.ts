/**
 * The local grid's state file (`<dir>/state.json`, default `~/.tfgrid/local`): what runs where, so that
 * `status`, `logs`, `down` and the provider (network `local`) find the grid, and `down` can stop every
 * process by PID and remove every namespace by prefix. DESIGN.md §4.
 *
 * Persisted format: add fields, never rename. Written atomically (temp file + rename).
 * @module
 */
import * as fs from 'fs';
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';
import { statePath } from '../../provider/local-grid';
import { processRecordSchema } from './supervisor';

export const STATE_VERSION = 1;

// The directory and file name live with the provider, which reads the grid's endpoints without importing local/.
export { defaultGridDir, statePath } from '../../provider/local-grid';

const publicIpSchema = z.object({ ip: z.string(), gateway: z.string() });

export const nodeStateSchema = z.object({
  index: z.number().int(),
  nodeId: z.number().int(),
  twinId: z.number().int(),
  farmId: z.number().int(),
  /** The node's host namespace and uplink (empty with the sim backend). */
  netns: z.string(),
  uplink: z.string(),
  /** The node's own address on the grid internet (CIDR), empty with sim. */
  address: z.string(),
  /** The gateway domain this node serves (`<name>.<domain>` name proxies). */
  domain: z.string(),
  /** The farm's public IPs this node can hand out. */
  publicIps: z.array(publicIpSchema),
  configFile: z.string(),
  dataDir: z.string(),
  /** The node's ed25519 seed (64 hex). A throw-away key of a throw-away chain; the file is mode 0600. */
  seed: z.string(),
  /**
   * A ZOS light node ("zos4": node config `light`), which takes `network-light`/`zmachine-light` and refuses
   * `network`, `zmachine` and public IPs. Absent in grids started before light nodes existed: a full node.
   */
  light: z.boolean().optional(),
  process: processRecordSchema.optional(),
});
export type NodeState = z.infer<typeof nodeStateSchema>;

export const farmStateSchema = z.object({
  farmId: z.number().int(),
  name: z.string(),
  twinId: z.number().int(),
  publicIps: z.array(publicIpSchema),
});
export type FarmState = z.infer<typeof farmStateSchema>;

export const serviceStateSchema = z.object({
  url: z.string(),
  process: processRecordSchema.optional(),
});
export type ServiceState = z.infer<typeof serviceStateSchema>;

export const gridStateSchema = z.object({
  version: z.literal(STATE_VERSION),
  /** Names of every namespace (`<prefix>-…`) and machine-wide object the grid makes start with this. */
  prefix: z.string(),
  dir: z.string(),
  backend: z.enum(['sim', 'linux']),
  /** Why this backend (e.g. "not root: sim backend"). */
  backendReason: z.string(),
  /** `starting` while `up` runs, `running` after, `failed` when `up` stopped half way. */
  phase: z.enum(['starting', 'running', 'failed']),
  startedAt: z.string(),
  chain: serviceStateSchema.optional(),
  relay: serviceStateSchema.optional(),
  hub: serviceStateSchema.optional(),
  /** URL of the hub's busybox base flist (`tf/base`), when it could be built. */
  baseFlist: z.string().optional(),
  /** URL of the hub's kernel-mode VM flist (`tf/vm`), when it could be built (examples/zmachine-vm boots it). */
  vmFlist: z.string().optional(),
  /** URL of the hub's TLS server flist (`tf/tls-server`: openssl s_server; the passthrough examples run it). */
  tlsServerFlist: z.string().optional(),
  dns: serviceStateSchema.extend({ address: z.string(), port: z.number().int() }).optional(),
  /** The grid proxy (local/gridproxy) and its twin's secret (a funded account of this throw-away chain). */
  gridProxy: serviceStateSchema.extend({ secret: z.string() }).optional(),
  /** The grid CA every gateway's certificates chain to (PEM files in the grid dir); clients trust `certFile`. */
  ca: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
  /** The grid internet's namespace, empty with sim. */
  internetNs: z.string(),
  gatewayDomain: z.string(),
  farms: z.array(farmStateSchema),
  nodes: z.array(nodeStateSchema),
  /** Takes the grid down when a given process exits (test runs). */
  watchdog: processRecordSchema.optional(),
  /** A funded user account for examples and tests (a dev mnemonic/URI on a throw-away chain). */
  user: z.object({ mnemonic: z.string(), twinId: z.number().int().optional() }).optional(),
});
export type GridState = z.infer<typeof gridStateSchema>;

/** The grid's state, or undefined when none was written. A malformed file is an InputError naming it. */
export function readState(dir: string): GridState | undefined {
  const file = statePath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`local grid state ${file} is not JSON`, { path: file, fix: 'run `tfgrid local reset`' }, { cause: err });
  }
  const parsed = gridStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`local grid state ${file}: ${issue.path.join('.')}: ${issue.message}`, {
      path: file,
      fix: 'run `tfgrid local reset`',
    });
  }
  return parsed.data;
}

/** Writes the state atomically (readers never see half a file). */
export function writeState(state: GridState): void {
  fs.mkdirSync(state.dir, { recursive: true });
  const file = statePath(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(gridStateSchema.parse(state), null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeState(dir: string): void {
  fs.rmSync(statePath(dir), { force: true });
}
