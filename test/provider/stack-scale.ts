/**
 * A stack of W workloads over the grid's nodes (issue 16 "Scale"), and the Pulumi engine's calls for it, made
 * through the provider methods (`provider/dynamic-entry`) the way the engine makes them: per dependency wave, every
 * resource of the wave at once (check, then create / diff+update / delete), the next wave when all are done.
 * Shared by `test/provider/stack-scale.test.ts` (small W) and `bench/stack-scale.bench.ts` (W up to 1,000).
 *
 * The stack: one Network over every node; then disks (ZMount) and zdbs; then machines (ZMachine, each mounting
 * its node's disk of the same deployment, 256 MiB: ZOS wants ≥ 250 MiB); then gateways (NameProxy on the gateway
 * node, backend = a machine's private IP, so they wait for the machines). Up: 4 waves; destroy: the same reversed.
 * @module
 */
import * as entry from '../../provider/dynamic-entry';

type Props = Record<string, unknown>;

export interface StackResource {
  key: string;
  type: 'Network' | 'ZMount' | 'Zdb' | 'ZMachine' | 'NameProxy';
  wave: number;
  /** Raw inputs as the SDK sends them; `outs` holds the outputs of earlier waves (by key). */
  inputs(outs: (key: string) => Props): Props;
}

/** What the engine's state holds per resource after a step. */
export interface StackState {
  resources: Map<string, { id: string; inputs: Props; outs: Props }>;
}

export interface StackOptions {
  /** Total resources, the Network included. */
  workloads: number;
  nodeIds: number[];
  /** A node with a public config and domain (NameProxy). */
  gatewayNode: number;
  /** Unique per run: gateway subdomains are names on the whole chain. */
  tag: string;
  /** The step "update 10%": every second zdb grows (zdbs are a fifth of the stack). */
  grown?: boolean;
}

/** The mix: 10% gateways, 20% zdbs, the rest machines and their disks in equal parts, one network. */
export function stackMix(w: number): { gateways: number; zdbs: number; machines: number; disks: number } {
  const gateways = Math.max(1, Math.floor(w / 10));
  const zdbs = Math.max(1, Math.floor(w / 5));
  const machines = Math.max(1, Math.floor((w - 1 - gateways - zdbs) / 2));
  return { gateways, zdbs, machines, disks: w - 1 - gateways - zdbs - machines };
}

export function stackResources(o: StackOptions): StackResource[] {
  const mix = stackMix(o.workloads);
  const n = o.nodeIds.length;
  const nodeOf = (i: number) => o.nodeIds[i % n];
  const net = { name: 'net', ipRange: '10.20.0.0/16', nodes: o.nodeIds };
  const out: StackResource[] = [{ key: 'net', type: 'Network', wave: 0, inputs: () => ({ name: 'net', nodes: o.nodeIds }) }];
  for (let i = 0; i < mix.disks; i++) out.push({ key: `disk${i}`, type: 'ZMount', wave: 1, inputs: () => ({ node: nodeOf(i), deployment: 'app', name: `disk${i}`, size: '1GiB' }) });
  for (let i = 0; i < mix.zdbs; i++) {
    const size = o.grown && i % 2 === 0 ? '2GiB' : '1GiB';
    out.push({ key: `zdb${i}`, type: 'Zdb', wave: 1, inputs: () => ({ node: nodeOf(i), deployment: 'data', name: `zdb${i}`, size, password: 'scale-bench' }) });
  }
  for (let i = 0; i < mix.machines; i++) {
    const mounts = i < mix.disks ? [{ name: `disk${i}`, node: nodeOf(i), deployment: 'app', mountpoint: '/data' }] : [];
    out.push({
      key: `vm${i}`,
      type: 'ZMachine',
      wave: 2,
      inputs: () => ({ node: nodeOf(i), deployment: 'app', name: `vm${i}`, flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist', network: net, cpu: 1, memory: '256MiB', mounts }),
    });
  }
  for (let i = 0; i < mix.gateways; i++) {
    out.push({
      key: `gw${i}`,
      type: 'NameProxy',
      wave: 3,
      inputs: (outs) => ({
        node: o.gatewayNode,
        deployment: 'gw',
        name: `gw${i}`,
        subdomain: `s${o.tag}${i}`,
        network: 'net',
        backends: [`http://${String(outs(`vm${i % mix.machines}`).privateIp)}:80`],
      }),
    });
  }
  return out;
}

/** Resources by wave, in dependency order. */
export function stackWaves(resources: StackResource[]): StackResource[][] {
  const waves: StackResource[][] = [];
  for (const r of resources) (waves[r.wave] ??= []).push(r);
  return waves.filter((w) => w.length > 0);
}

async function checked(type: string, olds: Props, raw: Props): Promise<Props> {
  const c = await entry.check(type, olds, raw);
  if (c.failures?.length) throw new Error(`${type} "${String(raw.name)}": ${JSON.stringify(c.failures)}`);
  return c.inputs as Props;
}

/** What one `up` did, as the engine would report it. */
export interface UpSummary {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * `pulumi up` of `resources` against `state`: new resources are checked and created, known ones checked and
 * diffed, and updated when the diff says so. A diff that asks for a replacement is not part of this stack's steps.
 */
export async function stackUp(resources: StackResource[], state: StackState, onWave: (ms: number) => void = () => {}): Promise<UpSummary> {
  const sum: UpSummary = { created: 0, updated: 0, unchanged: 0 };
  const outs = (key: string) => state.resources.get(key)?.outs ?? {};
  for (const wave of stackWaves(resources)) {
    const t0 = Date.now();
    await Promise.all(
      wave.map(async (r) => {
        const known = state.resources.get(r.key);
        const inputs = await checked(r.type, known?.inputs ?? {}, r.inputs(outs));
        if (!known) {
          const c = await entry.create(r.type, inputs);
          state.resources.set(r.key, { id: c.id, inputs, outs: (c.outs ?? {}) as Props });
          sum.created++;
          return;
        }
        const d = await entry.diff(r.type, known.id, known.outs, inputs);
        if (!d.changes) {
          sum.unchanged++;
          return;
        }
        if (d.replaces?.length) throw new Error(`${r.key}: the diff asks to replace (${d.replaces.join(', ')}); not a step of this stack`);
        const u = await entry.update(r.type, known.id, known.outs, inputs);
        state.resources.set(r.key, { id: known.id, inputs, outs: (u.outs ?? {}) as Props });
        sum.updated++;
      }),
    );
    onWave(Date.now() - t0);
  }
  return sum;
}

/** `pulumi destroy`: the waves in reverse, every resource of a wave at once. */
export async function stackDestroy(resources: StackResource[], state: StackState, onWave: (ms: number) => void = () => {}): Promise<void> {
  for (const wave of stackWaves(resources).reverse()) {
    const t0 = Date.now();
    await Promise.all(
      wave.map(async (r) => {
        const known = state.resources.get(r.key);
        if (!known) return;
        await entry.delete(r.type, known.id, known.outs);
        state.resources.delete(r.key);
      }),
    );
    onWave(Date.now() - t0);
  }
}
