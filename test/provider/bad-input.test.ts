/**
 * Bad input, one mistake per row, through `provider/dynamic-entry` as the plugin calls it (check = preview, then
 * create, then delete of whatever was made), on the provider grid (local chain, our relay, sim node runtimes).
 * For each row: the step that refuses it (preview where the provider can tell), that the text names the field or
 * config key and says how to fix it, that it fails fast (a generous bound: refusals are not timeouts), and that
 * after up and destroy the twin holds no contract the state does not own. Rows that need a failure the grid cannot
 * produce on demand wrap the real connection (grid-faults.ts). Measured times are printed at the end.
 */
import { createServer, type Server } from 'http';
import { randomBytes } from 'crypto';
import type { AddressInfo } from 'net';
import { ChainError, RmbError, ZosError } from '../../protocol/common/errors';
import * as entry from '../../provider/dynamic-entry';
import { UNKNOWN } from '../../provider/inputs';
import { setNoticeSink } from '../../provider/notices';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { up, type Props } from './entry-steps';
import type { InstrumentedConnection } from './grid-faults';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(180_000);

type Step = 'preview' | 'up' | 'none';

interface Ctx {
  n1: number;
  n2: number;
  tag: string;
  g: ProviderGrid;
  conn: () => InstrumentedConnection;
  closedPort: number;
  httpPort: number;
}

interface Outcome {
  step: Step;
  text: string;
}

interface Row {
  title: string;
  type: string;
  /** Inputs; `previewRaw` when the preview sees unknowns. */
  raw?: (c: Ctx) => Props;
  previewRaw?: (c: Ctx) => Props;
  /** Stack config overrides: the row runs on a fresh provider process with the real grid connection. */
  config?: (c: Ctx) => Record<string, string>;
  /** Resources the row needs first; returns their cleanup. */
  setup?: (c: Ctx) => Promise<() => Promise<void>>;
  /** Rows that are not one create: they return what happened, and clean up what they made. */
  custom?: (c: Ctx) => Promise<Outcome>;
  refusedAt: Step;
  /** The field or config key, as the text names it. */
  field: RegExp;
  /** How to fix it. */
  fix: RegExp;
  /** No chain transaction may be sent (refused before any contract). */
  noTransaction?: boolean;
}

const FLIST = 'https://hub.grid.tf/tf-official-apps/base:latest.flist';
const PUBLIC_BACKEND = 'http://198.51.100.7:8080';

/** One create as the engine runs it: check (preview), then create; a partial create is destroyed as Pulumi would. */
async function previewAndUp(type: string, previewRaw: Props, raw: Props): Promise<Outcome> {
  const pre = await entry.check(type, {}, previewRaw);
  if (pre.failures && pre.failures.length > 0) return { step: 'preview', text: pre.failures.map((f) => `${f.property}: ${f.reason}`).join('\n') };
  const chk = await entry.check(type, {}, raw);
  if (chk.failures && chk.failures.length > 0) return { step: 'up', text: chk.failures.map((f) => `${f.property}: ${f.reason}`).join('\n') };
  try {
    const r = await entry.create(type, chk.inputs as Props);
    await entry.delete(type, r.id, r.outs as Props);
    return { step: 'none', text: '' };
  } catch (err) {
    const e = err as Error & { id?: string; properties?: Props };
    if (e.id && e.properties) await entry.delete(type, e.id, e.properties);
    return { step: 'up', text: e.message };
  }
}

/**
 * A create that must fail after its chain transaction (faults armed by `arm` after the preview, on the connection
 * the preview made); destroys what the state recorded.
 */
async function createFailing(type: string, raw: Props, arm: () => void = () => {}): Promise<Outcome & { partial: boolean; outs?: Props }> {
  const chk = await entry.check(type, {}, raw);
  expect(chk.failures ?? []).toEqual([]);
  arm();
  try {
    const r = await entry.create(type, chk.inputs as Props);
    return { step: 'none', text: '', partial: false, outs: r.outs as Props };
  } catch (err) {
    const e = err as Error & { id?: string; properties?: Props };
    if (e.id && e.properties) await entry.delete(type, e.id, e.properties);
    if (process.env.BAD_INPUT_DEBUG) console.log(e.message, e.properties);
    return { step: 'up', text: e.message, partial: Boolean(e.id) };
  }
}

const zmount = (c: Ctx, extra: Props = {}): Props => ({ node: c.n1, deployment: `d${c.tag}`, name: 'data', size: '1GiB', ...extra });
const zmachine = (c: Ctx, extra: Props = {}): Props => ({
  node: c.n1,
  deployment: `d${c.tag}`,
  name: 'vm',
  flist: FLIST,
  network: { name: 'net', subnets: { [String(c.n1)]: '10.20.2.0/24' } },
  cpu: 1,
  memory: '1GiB',
  ...extra,
});
const nameProxy = (c: Ctx, extra: Props = {}): Props => ({ node: c.n1, deployment: `g${c.tag}`, name: 'web', subdomain: `np${c.tag}`, backends: [PUBLIC_BACKEND], ...extra });
const fqdnProxy = (c: Ctx, extra: Props = {}): Props => ({ node: c.n1, deployment: `f${c.tag}`, name: 'site', fqdn: `site${c.tag}.example.com`, backends: [PUBLIC_BACKEND], ...extra });
const zdb = (c: Ctx, extra: Props = {}): Props => ({ node: c.n1, deployment: `z${c.tag}`, name: 'ns', size: '1GiB', ...extra });

const FIX_SIZE = /binary unit such as "10GiB"|KiB, MiB, GiB or TiB/;

const ROWS: Row[] = [
  // --- sizes and units -----------------------------------------------------------------------------------------
  { title: 'a disk size in decimal units', type: 'ZMount', raw: (c) => zmount(c, { size: '10GB' }), refusedAt: 'preview', field: /size/, fix: FIX_SIZE },
  { title: 'a disk of 0GiB', type: 'ZMount', raw: (c) => zmount(c, { size: '0GiB' }), refusedAt: 'preview', field: /^size: /m, fix: /must be more than 0 \(ZOS: invalid size\)/ },
  { title: 'a negative disk size', type: 'ZMount', raw: (c) => zmount(c, { size: -5 }), refusedAt: 'preview', field: /^size: /m, fix: FIX_SIZE },
  { title: 'a disk size with an unknown unit', type: 'ZMount', raw: (c) => zmount(c, { size: '3 bananas' }), refusedAt: 'preview', field: /^size: /m, fix: FIX_SIZE },
  {
    title: 'memory "256" (bytes, not MiB)',
    type: 'ZMachine',
    raw: (c) => zmachine(c, { memory: '256' }),
    refusedAt: 'preview',
    field: /^memory: /m,
    fix: /a number without a unit counts bytes: write "256MiB"/,
  },
  { title: 'memory below the ZOS minimum', type: 'ZMachine', raw: (c) => zmachine(c, { memory: '100MiB' }), refusedAt: 'preview', field: /^memory: /m, fix: /must be at least 250MiB/ },
  { title: 'a root filesystem size in decimal units', type: 'ZMachine', raw: (c) => zmachine(c, { rootfsSize: '2GB' }), refusedAt: 'preview', field: /^rootfsSize: /m, fix: FIX_SIZE },
  { title: 'a zdb namespace of size "0"', type: 'Zdb', raw: (c) => zdb(c, { size: '0' }), refusedAt: 'preview', field: /^size: /m, fix: /must be more than 0/ },
  { title: 'a zdb namespace size in decimal units', type: 'Zdb', raw: (c) => zdb(c, { size: '5GB' }), refusedAt: 'preview', field: /^size: /m, fix: FIX_SIZE },
  // --- names and placement -------------------------------------------------------------------------------------
  { title: 'a workload name with "-"', type: 'ZMount', raw: (c) => zmount(c, { name: 'my-disk' }), refusedAt: 'preview', field: /^name: /m, fix: /only letters, digits and _/ },
  { title: 'a workload name over 36 characters', type: 'ZMount', raw: (c) => zmount(c, { name: 'd'.repeat(40) }), refusedAt: 'preview', field: /^name: /m, fix: /cannot exceed 36/ },
  { title: 'the reserved workload name "ygg"', type: 'Zdb', raw: (c) => zdb(c, { name: 'ygg' }), refusedAt: 'preview', field: /^name: /m, fix: /reserved/ },
  { title: 'node 0', type: 'ZMount', raw: (c) => zmount(c, { node: 0 }), refusedAt: 'preview', field: /^node: /m, fix: /positive integer/ },
  { title: 'a node that does not exist', type: 'ZMount', raw: (c) => zmount(c, { node: 999_999 }), refusedAt: 'preview', field: /^node: .*node 999999 does not exist/m, fix: /fix: pick a node id/ },
  { title: 'a deployment group with spaces', type: 'ZMount', raw: (c) => zmount(c, { deployment: 'my group' }), refusedAt: 'preview', field: /^deployment: /m, fix: /1\.\.64 of \[a-zA-Z0-9_\.-\]/ },
  { title: 'a machine on a node outside its network', type: 'ZMachine', raw: (c) => zmachine(c, { node: c.n2 }), refusedAt: 'preview', field: /^network: /m, fix: /add it to the Network's nodes/ },
  {
    title: 'a machine in a reserved network name',
    type: 'ZMachine',
    raw: (c) => zmachine(c, { network: { name: 'ygg', subnets: { [String(c.n1)]: '10.20.2.0/24' } } }),
    refusedAt: 'preview',
    field: /^network\.name: /m,
    fix: /reserved network names/,
  },
  {
    title: 'a disk from another deployment',
    type: 'ZMachine',
    raw: (c) => zmachine(c, { mounts: [{ name: 'data', node: c.n1, deployment: 'other', mountpoint: '/data' }] }),
    refusedAt: 'preview',
    field: /^mounts\[0\]: /m,
    fix: /give both the same node and deployment/,
  },
  {
    title: 'a mountpoint "/"',
    type: 'ZMachine',
    raw: (c) => zmachine(c, { mounts: [{ name: 'data', node: c.n1, deployment: `d${c.tag}`, mountpoint: '/' }] }),
    refusedAt: 'preview',
    field: /^mounts\[0\]\.mountpoint: /m,
    fix: /absolute path other than \//,
  },
  { title: 'mycelium on a network without it', type: 'ZMachine', raw: (c) => zmachine(c, { mycelium: true }), refusedAt: 'preview', field: /^mycelium: /m, fix: /set mycelium: true on the Network/ },
  { title: 'zero cpu', type: 'ZMachine', raw: (c) => zmachine(c, { cpu: 0 }), refusedAt: 'preview', field: /^cpu: /m, fix: /can't be 0/ },
  { title: 'an empty flist', type: 'ZMachine', raw: (c) => zmachine(c, { flist: '' }), refusedAt: 'preview', field: /^flist: /m, fix: /an flist URL is required/ },
  { title: 'a malformed GPU id', type: 'ZMachine', raw: (c) => zmachine(c, { gpus: ['gpu0'] }), refusedAt: 'preview', field: /^gpus\[0\]: /m, fix: /from zos\.gpu\.list/ },
  {
    title: 'a PublicIp with neither v4 nor v6',
    type: 'PublicIp',
    raw: (c) => ({ node: c.n1, deployment: `p${c.tag}`, name: 'ip', v4: false, v6: false }),
    refusedAt: 'preview',
    field: /^v4: /m,
    fix: /set v4 or v6 to true/,
  },
  { title: 'a zdb mode that does not exist', type: 'Zdb', raw: (c) => zdb(c, { mode: 'fast' }), refusedAt: 'preview', field: /^mode: /m, fix: /'user' \| 'seq'/ },
  { title: 'a Network without nodes', type: 'Network', raw: () => ({ name: 'emptynet', nodes: [] }), refusedAt: 'preview', field: /^nodes: /m, fix: /at least one node/ },
  {
    title: 'a Network range that is not a private /16',
    type: 'Network',
    raw: (c) => ({ name: 'badrange', nodes: [c.n1], ipRange: '8.8.0.0/16' }),
    refusedAt: 'preview',
    field: /^ipRange: /m,
    fix: /private IPv4 \/16 such as 10\.20\.0\.0\/16/,
  },
  // --- what the grid has: capacity, free IPs, nodes (asked read-only at preview) -------------------------------
  {
    title: 'more memory than the node has free',
    type: 'ZMachine',
    raw: (c) => zmachine(c, { memory: '64TiB' }),
    refusedAt: 'preview',
    field: /^memory: .*memory asks 64TiB, node \d+ has \S+ of memory free/m,
    fix: /fix: pick a node with more free memory \(a NodePicker with `memory` finds one\)/,
  },
  {
    title: "a disk larger than the node's free SSD",
    type: 'ZMount',
    raw: (c) => zmount(c, { size: '900TiB' }),
    refusedAt: 'preview',
    field: /^size: .*size asks 900TiB, node \d+ has \S+ of SSD free/m,
    fix: /NodePicker with `ssd`/,
  },
  {
    title: 'two new machines that fit the node one by one but not together',
    type: 'ZMachine',
    custom: async (c) => {
      const s = await (await c.conn().deps.node(c.n1)).statistics();
      const mib = Math.floor((s.total.mru - s.used.mru) / 1024 ** 2);
      const half = `${Math.floor(mib / 2) + 64}MiB`; // each fits alone, both do not
      const a = await entry.check('ZMachine', {}, zmachine(c, { name: 'vma', memory: half }));
      expect(a.failures ?? []).toEqual([]);
      const b = await entry.check('ZMachine', {}, zmachine(c, { name: 'vmb', memory: half }));
      return { step: (b.failures ?? []).length ? 'preview' : 'none', text: (b.failures ?? []).map((f) => `${f.property}: ${f.reason}`).join('\n') };
    },
    refusedAt: 'preview',
    field: /^memory: ZMachine "vmb": memory asks \d+MiB \(and other new resources of this run on node \d+ ask \d+MiB\)/m,
    fix: /or ask for less/,
    noTransaction: true,
  },
  {
    title: 'a public IPv4 from a farm without free IPs',
    type: 'PublicIp',
    custom: async (c) => {
      const chain = c.conn().deps.chain;
      const real = chain.farmFreePublicIps;
      chain.farmFreePublicIps = async () => 0; // the farm's pool used up (the local farm has IPs to spare)
      try {
        return await previewAndUp('PublicIp', { node: c.n1, deployment: `p${c.tag}`, name: 'ip', v4: true }, { node: c.n1, deployment: `p${c.tag}`, name: 'ip', v4: true });
      } finally {
        chain.farmFreePublicIps = real;
      }
    },
    refusedAt: 'preview',
    field: /^v4: PublicIp "ip": farm \d+ of node \d+ has 0 free public IPv4/m,
    fix: /fix: pick a node of a farm with free IPs \(a NodePicker with `publicIpv4: 1` finds one\) or set v4: false/,
    noTransaction: true,
  },
  {
    title: 'eight Zdbs of a Qsfs on a node that does not exist: the full text once, then a pointer to it',
    type: 'Zdb',
    custom: async (c) => {
      const texts: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await entry.check('Zdb', {}, zdb(c, { node: 999, name: `z${i}` }));
        texts.push(...(r.failures ?? []).map((f) => `${f.property}: ${f.reason}`));
      }
      expect(texts).toHaveLength(8);
      expect(texts.join('\n').match(/does not exist on/g)).toHaveLength(1);
      expect(texts.slice(1)).toEqual(texts.slice(1).map((_t, i) => `node: Zdb "z${i + 1}": node 999 does not exist (as said for Zdb "z0")`));
      return { step: 'preview', text: texts.join('\n') };
    },
    refusedAt: 'preview',
    field: /^node: Zdb "z0": node 999 does not exist on \w+/m,
    fix: /fix: pick a node id/,
    noTransaction: true,
  },
  // --- gateways ------------------------------------------------------------------------------------------------
  {
    title: 'a subdomain with capitals and "!"',
    type: 'NameProxy',
    raw: (c) => nameProxy(c, { subdomain: 'My_App!' }),
    refusedAt: 'preview',
    field: /^subdomain: /m,
    fix: /3\.\.64 characters of a-z, 0-9, _ and -/,
  },
  { title: 'a two-letter subdomain', type: 'NameProxy', raw: (c) => nameProxy(c, { subdomain: 'ab' }), refusedAt: 'preview', field: /^subdomain: /m, fix: /3\.\.64 characters/ },
  { title: 'a gateway without backends', type: 'NameProxy', raw: (c) => nameProxy(c, { backends: [] }), refusedAt: 'preview', field: /^backends: /m, fix: /give at least one backend/ },
  {
    title: 'an https backend without passthrough',
    type: 'NameProxy',
    raw: (c) => nameProxy(c, { backends: ['https://198.51.100.7'] }),
    refusedAt: 'preview',
    field: /^backends\[0\]: /m,
    fix: /use tlsPassthrough for https backends/,
  },
  {
    title: 'a backend host name instead of an IP',
    type: 'NameProxy',
    raw: (c) => nameProxy(c, { backends: ['http://myapp.internal:80'] }),
    refusedAt: 'preview',
    field: /^backends\[0\]: /m,
    fix: /must be an IP address, not a name/,
  },
  {
    title: 'a loopback backend',
    type: 'FqdnProxy',
    raw: (c) => fqdnProxy(c, { backends: ['http://127.0.0.1:80'] }),
    refusedAt: 'preview',
    field: /^backends\[0\]: /m,
    fix: /loopback address is not reachable/,
  },
  { title: 'a URL backend with tlsPassthrough', type: 'NameProxy', raw: (c) => nameProxy(c, { tlsPassthrough: true }), refusedAt: 'preview', field: /^backends\[0\]: /m, fix: /must be ip:port/ },
  {
    title: 'a private backend without network (NameProxy)',
    type: 'NameProxy',
    raw: (c) => nameProxy(c, { backends: ['http://10.20.2.2:8080'] }),
    refusedAt: 'preview',
    field: /^backends\[0\]: .*private address/m,
    fix: /set `network` to the Network the machine is in/,
  },
  {
    title: 'a private passthrough backend without network (FqdnProxy)',
    type: 'FqdnProxy',
    raw: (c) => fqdnProxy(c, { backends: ['10.20.3.2:443'], tlsPassthrough: true }),
    refusedAt: 'preview',
    field: /^backends\[0\]: .*private address/m,
    fix: /set `network`/,
  },
  {
    title: 'a private backend known only at up, without network',
    type: 'NameProxy',
    previewRaw: (c) => nameProxy(c, { backends: [UNKNOWN] }),
    raw: (c) => nameProxy(c, { backends: ['http://10.20.2.9:8080'] }),
    refusedAt: 'up',
    field: /backends\[0\]/,
    fix: /set `network` to the Network the machine is in/,
    noTransaction: true,
  },
  { title: 'a domain that is not one', type: 'FqdnProxy', raw: (c) => fqdnProxy(c, { fqdn: 'not a domain' }), refusedAt: 'preview', field: /^fqdn: /m, fix: /such as app\.example\.com/ },
  {
    title: 'a NameProxy on a node without a domain',
    type: 'NameProxy',
    raw: (c) => nameProxy(c, { node: c.n2 }),
    refusedAt: 'preview',
    field: /^node: .*is not a gateway/m,
    fix: /fix: put the NameProxy on a gateway node/,
  },
  {
    title: 'a NameProxy on a node outside its network (was: a paid name contract left behind)',
    type: 'NameProxy',
    setup: async (c) => {
      const net = await up('Network', { name: `gwnet${c.tag}`, nodes: [c.n2] });
      return async () => entry.delete('Network', net.id, net.outs);
    },
    raw: (c) => nameProxy(c, { backends: ['http://10.20.2.2:8080'], network: `gwnet${c.tag}` }),
    refusedAt: 'up',
    field: /network "gwnet\w+" is not on node \d+/,
    fix: /fix: add node \d+ to the Network's nodes/,
    noTransaction: true,
  },
  // --- duplicate workload names --------------------------------------------------------------------------------
  {
    title: 'two ZMounts with one workloadName in one deployment, created together',
    type: 'ZMount',
    custom: async (c) => {
      const a = (await entry.check('ZMount', {}, zmount(c, { size: '1GiB' }))).inputs as Props;
      const b = (await entry.check('ZMount', {}, zmount(c, { size: '2GiB' }))).inputs as Props;
      const r = await Promise.allSettled([entry.create('ZMount', a), entry.create('ZMount', b)]);
      for (const x of r) if (x.status === 'fulfilled') await entry.delete('ZMount', x.value.id, x.value.outs as Props);
      expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
      return { step: 'up', text: r.map((x) => (x.status === 'rejected' ? (x.reason as Error).message : '')).join('\n') };
    },
    refusedAt: 'up',
    field: /ZMount "data" and ZMount "data" both ask for workload name "data" .*deployment group/,
    fix: /fix: give each resource its own `workloadName`/,
    noTransaction: true,
  },
  {
    title: 'a ZMount whose workloadName another disk of the deployment has',
    type: 'ZMount',
    setup: async (c) => {
      const first = await up('ZMount', zmount(c));
      return async () => entry.delete('ZMount', first.id, first.outs);
    },
    raw: (c) => zmount(c, { size: '2GiB' }),
    refusedAt: 'up',
    field: /already has a zmount named "data"/,
    fix: /fix: give this resource another `workloadName`/,
  },
  // --- configuration and credentials ---------------------------------------------------------------------------
  {
    title: 'a mnemonic that is not one',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: () => ({ 'tfgrid:mnemonic': 'correct horse battery staple' }),
    refusedAt: 'preview',
    field: /tfgrid:mnemonic/,
    fix: /mnemonic|seed/,
  },
  {
    title: 'an account without funds',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: () => ({ 'tfgrid:mnemonic': `0x${randomBytes(32).toString('hex')}` }),
    refusedAt: 'preview',
    field: /twin of \w+/,
    fix: /fix: fund the account/,
  },
  {
    title: 'chainUrls on a closed port',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: (c) => ({ 'tfgrid:chainUrls': `ws://127.0.0.1:${c.closedPort}` }),
    refusedAt: 'preview',
    field: /ws:\/\/127\.0\.0\.1:\d+: connection refused/,
    fix: /check tfgrid:chainUrls/,
  },
  {
    title: 'chainUrls pointing at an HTTP server',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: (c) => ({ 'tfgrid:chainUrls': `ws://127.0.0.1:${c.httpPort}` }),
    refusedAt: 'preview',
    field: /an HTTP server answered .*with 404/,
    fix: /check tfgrid:chainUrls/,
  },
  {
    title: 'relayUrls on a closed port',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: (c) => ({ 'tfgrid:relayUrls': `ws://127.0.0.1:${c.closedPort}` }),
    refusedAt: 'preview',
    field: /tfgrid:relayUrls/,
    fix: /connection refused.*fix: check tfgrid:relayUrls/s,
  },
  {
    title: 'a grid name that does not exist',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: () => ({ 'tfgrid:network': 'moon' }),
    refusedAt: 'preview',
    field: /^tfgrid:network: /m,
    fix: /pulumi config set tfgrid:network local/,
  },
  {
    title: 'a key type that does not exist',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: () => ({ 'tfgrid:keyType': 'rsa' }),
    refusedAt: 'preview',
    field: /^tfgrid:keyType: /m,
    fix: /use sr25519 or ed25519/,
  },
  {
    title: 'a resource timeout that is not a duration',
    type: 'ZMount',
    raw: (c) => zmount(c, { timeout: { create: 'ten minutes' } }),
    refusedAt: 'preview',
    field: /^timeout\.create: /m,
    fix: /write seconds \(300\) or a number with s, m or h/,
  },
  {
    title: 'a resource timeout for an operation that does not exist',
    type: 'ZMount',
    raw: (c) => zmount(c, { timeout: { deploy: '10m' } }),
    refusedAt: 'preview',
    field: /^timeout: /m,
    fix: /use create, update or delete/,
  },
  {
    title: 'a deploy timeout that is not a number',
    type: 'ZMount',
    raw: (c) => zmount(c),
    config: () => ({ 'tfgrid:deployTimeout': 'soon' }),
    refusedAt: 'preview',
    field: /^tfgrid:deployTimeout: /m,
    fix: /whole number/,
  },
];

/** Failures after a chain transaction: every one ends with no contract that the state does not own. */
const FAULTS: Row[] = [
  {
    title: 'NameProxy: the node refuses the deploy (node and name contract cancelled)',
    type: 'NameProxy',
    custom: async (c) => {
      return createFailing('NameProxy', nameProxy(c), () => c.conn().failNext('deploy', new ZosError('injected refusal', { nodeMessage: 'injected refusal' })));
    },
    refusedAt: 'up',
    field: /node contract \d+ created, deploy failed \(injected refusal\); contract cancelled, name contract \d+ too/,
    fix: /cancelled/,
  },
  {
    title: 'NameProxy: deploy refused and the rollback fails (recorded, destroy cancels both)',
    type: 'NameProxy',
    custom: async (c) => {
      const r = await createFailing('NameProxy', nameProxy(c), () => {
        c.conn().failNext('deploy', new ZosError('injected refusal', { nodeMessage: 'injected refusal' }));
        c.conn().failNext('cancel', new ChainError('injected: chain unreachable'));
      });
      expect(r.partial).toBe(true);
      return r;
    },
    refusedAt: 'up',
    field: /cancelling it and name contract \d+ failed too \(injected: chain unreachable\); node contract \d+ and name contract \d+ recorded so destroy cancels them/,
    fix: /recorded so destroy cancels/,
  },
  {
    title: 'NameProxy: the node stops answering after the deploy (recorded, destroy cancels both)',
    type: 'NameProxy',
    custom: async (c) => {
      const r = await createFailing('NameProxy', nameProxy(c), () => c.conn().failNext('get', new RmbError('injected: no reply within 20s')));
      expect(r.partial).toBe(true);
      return r;
    },
    refusedAt: 'up',
    field: /injected: no reply within 20s; node contract \d+ and name contract \d+ recorded so destroy cancels them/,
    fix: /recorded so destroy cancels/,
  },
  {
    title: 'NameProxy joining a deployment: the node refuses the update (hash restored, name contract cancelled)',
    type: 'NameProxy',
    custom: async (c) => {
      const disk = await up('ZMount', zmount(c, { deployment: `g${c.tag}` }));
      const r = await createFailing('NameProxy', nameProxy(c), () => c.conn().failNext('update', new ZosError('injected refusal', { nodeMessage: 'injected refusal' })));
      await entry.delete('ZMount', disk.id, disk.outs);
      return r;
    },
    refusedAt: 'up',
    field: /rejected deployment \d+ v1: injected refusal; cancelled name contract \d+/,
    fix: /cancelled/,
  },
  {
    title: "a deploy that never reaches ok within the resource's timeout: the error names the resource and the limit, destroy cancels the contract",
    type: 'ZMount',
    custom: async (c) => {
      const chk = await entry.check('ZMount', {}, zmount(c, { timeout: { create: '7s' } }));
      expect(chk.failures ?? []).toEqual([]);
      c.conn().setStalled(c.n1, true);
      const started = Date.now();
      const lines: string[] = [];
      setNoticeSink((l) => lines.push(l));
      let err: (Error & { id?: string; properties?: Props }) | undefined;
      try {
        await entry.create('ZMount', chk.inputs as Props);
      } catch (e) {
        err = e as typeof err;
      } finally {
        c.conn().setStalled(c.n1, false);
        setNoticeSink(undefined);
      }
      // The limit is the resource's 7 s, not tfgrid:deployTimeout's 300 s; meanwhile the wait was shown.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(lines).toEqual([expect.stringMatching(/^tfgrid: node \d+ deployment \d+: ZMount "data" waits for the node to provision it \(init: injected: still provisioning\), [5-7]s of 7s$/)]);
      expect(err?.id).toBeTruthy();
      expect(err?.properties).toMatchObject({ state: 'error' });
      await entry.delete('ZMount', err!.id!, err!.properties!);
      return { step: 'up', text: err!.message };
    },
    refusedAt: 'up',
    field:
      /^ZMount "data": node \d+ deployment \d+ v\d+: workloads "data" \(init: injected: still provisioning\) not done after 7s \(timeout\.create\); node contract \d+ recorded so destroy cancels it/,
    fix: /fix: give the resource a longer timeout \(timeout: \{ create: "20m" \}\) or raise tfgrid:deployTimeout/,
  },
  {
    title: 'NameProxy over a leftover name contract of this twin: taken over as owned, cancelled by destroy',
    type: 'NameProxy',
    custom: async (c) => {
      await c.conn().deps.chain.submit([{ kind: 'createName', name: `np${c.tag}` }]);
      const r = await createFailing('NameProxy', nameProxy(c));
      expect(r.outs).toMatchObject({ ownsNameContract: true, state: 'ok' });
      await entry.delete('NameProxy', `${c.n1}/g${c.tag}/web`, r.outs!);
      return { step: 'none', text: `ownsNameContract: ${String(r.outs!.ownsNameContract)}` };
    },
    refusedAt: 'none',
    field: /ownsNameContract: true/,
    fix: /./,
  },
];

describe('bad input: refused at preview where it can be, named and explained, never a leftover contract', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let conn: InstrumentedConnection;
  let n1: number, n2: number;
  let http: Server;
  let closedPort: number;
  const times: string[] = [];

  async function newProcess(config?: Record<string, string>): Promise<void> {
    await resetRuntime();
    const cfg = g.providerConfig(user, { 'tfgrid:coalesceMs': '50', ...(config ?? {}) });
    // Config rows connect as a user would (the real grid connection, from the stack config); the rest through the
    // instrumented one.
    setGridFactory(config ? undefined : async () => (conn = await g.connect(user)));
    entry.configure((k) => cfg[k]);
  }

  beforeAll(async () => {
    g = await startProviderGrid();
    [n1, n2] = g.nodeIds;
    user = await g.user();
    http = createServer((_req, res) => res.writeHead(404, { server: 'plain-http' }).end('not here'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await newProcess();
  }, 120_000);

  afterAll(async () => {
    console.log(`time to refuse, per row:\n${times.join('\n')}`);
    await resetRuntime();
    setGridFactory(undefined);
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await g?.close();
  });

  const ctx = (): Ctx => ({ n1, n2, tag: uniqueTag(), g, conn: () => conn, closedPort, httpPort: (http.address() as AddressInfo).port });

  it('runs at least forty mistakes', () => {
    expect(ROWS.length + FAULTS.length).toBeGreaterThanOrEqual(40);
  });

  it.each([...ROWS, ...FAULTS].map((r) => [r.title, r] as const))('%s', async (_t, row) => {
    const c = ctx();
    const cleanup = row.setup ? await row.setup(c) : undefined;
    const contractsBefore = await g.activeContracts(user);
    const txBefore = await g.transactions(user);
    if (row.config) await newProcess(row.config(c));
    const started = Date.now();
    let out: Outcome;
    try {
      out = row.custom ? await row.custom(c) : await previewAndUp(row.type, (row.previewRaw ?? row.raw!)(c), row.raw!(c));
    } finally {
      if (row.config) await newProcess();
    }
    const ms = Date.now() - started;
    times.push(`${String(ms).padStart(6)} ms  ${out.step.padEnd(7)} ${row.title}`);
    expect({ step: out.step, text: out.text }).toMatchObject({ step: row.refusedAt });
    expect(out.text).toMatch(row.field);
    expect(out.text).toMatch(row.fix);
    if (row.refusedAt !== 'none') expect(out.text).not.toMatch(/\n\s+at /); // no stack trace in the text
    if (!row.custom) expect(ms).toBeLessThan(10_000);
    if (row.noTransaction) expect(await g.transactions(user)).toBe(txBefore);
    await cleanup?.();
    // Nothing the state does not own: everything this row made is gone again after its destroy.
    const after = await g.activeContracts(user);
    expect(after.filter((id) => !contractsBefore.includes(id))).toEqual([]);
  });
});
