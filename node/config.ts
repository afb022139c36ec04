/**
 * `tfgrid node run --config FILE`: the node's configuration, validated with zod at the edge (YAML or JSON).
 * Identity (the node twin's key), farm, resources, public config, backend choice, data directory, chain and
 * relay URLs, optional self-registration. Facts: zos-protocol.md §5.2 (what the API reports), §6.1, §8.7.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError } from '../protocol/common/errors';
import { parseSize } from '../protocol/zos/units';

/** A byte size: an integer, or a string such as `"16GiB"`, read by the one size parser (protocol/zos/units). */
export const sizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx): bigint => {
  try {
    return parseSize(v);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a size; use bytes or a binary unit such as "16GiB"` });
    return z.NEVER;
  }
});

const capacitySchema = z.object({
  cru: z.number().int().nonnegative().default(0),
  mru: sizeSchema.default(0),
  sru: sizeSchema.default(0),
  hru: sizeSchema.default(0),
  ipv4u: z.number().int().nonnegative().default(0),
});

export const nodeConfigSchema = z
  .object({
    /** Directory for the node's SQLite store and backend state. */
    dataDir: z.string().min(1),
    /** `sim` keeps state only (never a silent CI fallback); `linux` provisions for real (root). */
    backend: z.enum(['sim', 'linux']),
    identity: z
      .object({
        mnemonic: z.string().optional(),
        seed: z
          .string()
          .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'seed must be 32 bytes of hex')
          .optional(),
        keyType: z.enum(['ed25519', 'sr25519']).default('sr25519'),
      })
      .refine((i) => !!i.mnemonic !== !!i.seed, { message: 'give exactly one of identity.mnemonic or identity.seed' }),
    chain: z.object({ urls: z.array(z.string().url()).min(1) }),
    relay: z.object({
      urls: z.array(z.string().url()).min(1),
      /** The relay's host as written in the twin's on-chain `relay` field (default: the first URL's host). */
      host: z.string().optional(),
    }),
    node: z.object({
      /** On-chain node id; found from the twin when omitted, or registered when `register` is set. */
      id: z.number().int().positive().optional(),
      farmId: z.number().int().positive(),
      /** The farmer's twin: only it may call `zos.admin.*`. Read from the farm when omitted. */
      farmerTwinId: z.number().int().positive().optional(),
      /** Twins allowed to call `zos.debug.*`. */
      adminTwins: z.array(z.number().int().positive()).default([]),
    }),
    /** Register the node's twin (relay = first relay host) and the node itself on the chain when missing. */
    register: z.boolean().default(false),
    resources: capacitySchema,
    reserved: capacitySchema.default({}),
    publicConfig: z
      .object({
        type: z.enum(['macvlan', 'vlan']).default('macvlan'),
        ipv4: z.string(),
        gw4: z.string(),
        ipv6: z.string().default(''),
        gw6: z.string().default(''),
        domain: z.string().default(''),
      })
      .optional(),
    location: z
      .object({
        longitude: z.number().default(0),
        latitude: z.number().default(0),
        continent: z.string().default('Europe'),
        country_name: z.string().default('Belgium'),
        country_code: z.string().default('BE'),
        city_name: z.string().default('Ghent'),
      })
      .default({}),
    /** Seconds between chain syncs (ZOS: hourly). */
    syncIntervalSeconds: z.number().int().positive().default(3600),
    /**
     * Run as a ZOS light node ("zos4"): it takes `network-light` and `zmachine-light` (not `network`, `zmachine`,
     * `ip`), reports the light feature list (`zos.system.node_features_get`) and has no IPv6 public interface.
     */
    light: z.boolean().default(false),
    /** Return `get` workloads in random order, as real nodes may. */
    shuffleGet: z.boolean().default(false),
    /**
     * Machine supervision (zosbase vm monitor). Every `healthIntervalMs` (0 = only right after each provision/update)
     * the node checks its running machines: one that exited on its own is started again (same rootfs, mounts and
     * network) up to `maxRestarts` times within `restartWindowSeconds` (ZOS: 3 within 2 minutes; 0 = never), then
     * its workload goes to `error` listing the failures. An OOM-killed machine goes to `error` at once.
     */
    machines: z
      .object({
        healthIntervalMs: z.number().int().nonnegative().default(2000),
        maxRestarts: z.number().int().nonnegative().default(3),
        restartWindowSeconds: z.number().int().positive().default(120),
      })
      .strict()
      .default({}),
    /** Linux backend placement (the local grid gives each node a host namespace and uplink). */
    linux: z
      .object({
        prefix: z.string().regex(/^[a-z][a-z0-9]{0,5}$/),
        hostNetns: z.string().min(1),
        uplink: z.string().optional(),
      })
      .optional(),
    /**
     * Gateway (`backend: linux`): where the proxy serves, the grid DNS it checks FQDNs with, the grid CA.
     * The local grid passes `listenNetns` (the node's host namespace), its DNS address and the grid CA.
     */
    gateway: z
      .object({
        /** Address to serve on; default the public IPv4, else 127.0.0.1. */
        listenHost: z.string().optional(),
        /**
         * Namespace the public listeners live in (the node's host netns on the local grid). The proxy itself
         * runs on `127.0.0.1` high ports in the daemon's namespace; sockets bound in this namespace are handed
         * over to the daemon and relayed to it. Omit to listen in the daemon's own namespace.
         */
        listenNetns: z.string().optional(),
        httpPort: z.number().int().min(0).max(65535).default(80),
        httpsPort: z.number().int().min(0).max(65535).default(443),
        /** `host:port` of the grid DNS (local/dns `GridDns.address`); wins over `dnsServers`. */
        dns: z.string().optional(),
        /** `ip` or `ip:port` of resolvers for FQDN checks; system resolvers when empty and no `dns`. */
        dnsServers: z.array(z.string()).default([]),
        /** PEM files of the grid CA shared by every gateway. */
        ca: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
        /** The grid CA inline (PEM); give this or `ca`; a fresh CA is made when neither is given. */
        caPem: z.object({ certPem: z.string().min(1), keyPem: z.string().min(1) }).optional(),
        /** Directory for the private-network forwarders' unix sockets (short path); default `/run/tfgrid-<prefix>`. */
        runDir: z.string().optional(),
        /**
         * How often a name proxy's name contract is checked again on the chain (ZOS `validationPeriod`, 1 h); a
         * proxy whose contract is gone or another twin's stops serving and goes to `error`. The local grid uses 2 s.
         */
        nameContractCheckSeconds: z.number().positive().default(3600),
      })
      .refine((g) => !(g.ca && g.caPem), { message: 'give gateway.ca (files) or gateway.caPem (inline), not both' })
      .default({}),
    /** qsfs daemon (`backend: linux`): data root, metrics listener (ZOS uses 9100, 0 = any free port). */
    qsfs: z
      .object({
        metricsPort: z.number().int().min(0).max(65535).default(9100),
        /** Host of the metrics listener and of `metrics_endpoint`; default the first zdb address. */
        metricsHost: z.string().optional(),
        /** Where mounts and caches live; default `<dataDir>/linux/qsfs`. */
        rootDir: z.string().optional(),
      })
      .default({}),
    /** `backend: sim` only: every backend call takes this long, to watch (or crash-test) provisioning. */
    sim: z.object({ delayMs: z.number().int().nonnegative().default(0) }).default({}),
    zdb: z.object({ port: z.number().int().min(0).max(65535).default(9900), addresses: z.array(z.string()).default(['127.0.0.1']) }).default({}),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

export type NodeConfig = z.output<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;

/** Validates a parsed config object; InputError naming the field otherwise. */
export function parseNodeConfig(value: unknown, source = 'config'): NodeConfig {
  const r = nodeConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.join('.') || '(root)';
  throw new InputError(`${source}: ${where}: ${issue.message}`, { path: where, fix: 'see node/config.ts for the fields' });
}

/** Reads a YAML or JSON config file; relative `dataDir` is resolved against the file's directory. */
export function loadNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read node config ${file}: ${(err as Error).message}`, { path: file }, { cause: err });
  }
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not YAML/JSON: ${(err as Error).message}`, { path: file }, { cause: err });
  }
  const cfg = parseNodeConfig(value, file);
  return { ...cfg, dataDir: path.resolve(path.dirname(file), cfg.dataDir) };
}
