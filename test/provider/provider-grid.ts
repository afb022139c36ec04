/**
 * The one real grid the provider's tests run on (DESIGN.md §5, style.md §5–§6; rmb-tfchain.md §A, §B, §C): the
 * run's shared local TFChain (chopsticks, test/helpers/chain.ts), a farm with 3 public IPs and 3 nodes of this
 * file's own, one RMB relay of ours, and 3 node runtimes in-process with the sim backend (ZOS API, versioning,
 * challenge hash, signature and contract checks are the node's real code; only provisioning is state only).
 * Node 1 (index 0) has a public config and domain; nodes 2 and 3 are hidden. Each call of `startProviderGrid`
 * is one file's grid; `user()` makes a fresh funded account whose twin the provider creates on first connect.
 * Chain transactions are counted from the chain itself (the account nonce), RMB calls by `instrument`.
 * @module
 */
import { randomBytes } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import type { KeyType } from '../../protocol/common/identity';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { parseNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { readConfig } from '../../provider/config';
import { createGridConnection } from '../../provider/grid-connection';
import * as entry from '../../provider/dynamic-entry';
import { resetRuntime, setGridFactory, type GridFactory } from '../../provider/runtime';
import { startGridProxy, type GridProxy } from '../../local/gridproxy/daemon';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestGrid } from '../helpers/chain';
import { tempDir } from '../node/fixtures';
import { instrument, type InstrumentedConnection } from './grid-faults';

export interface GridUser {
  /** `0x` + hex seed: what goes in `tfgrid:mnemonic`. */
  seed: string;
  keyType: KeyType;
  address: string;
}

export interface ProviderGrid {
  /** The shared chain connection (no signer of the user's). */
  chain: ChainClient;
  chainUrl: string;
  relayUrl: string;
  /** The grid's own grid proxy (local/gridproxy, in-process): `tfgrid:gridProxyUrl` of `providerConfig`. */
  gridProxy: GridProxy;
  testGrid: TestGrid;
  /** Node ids; [0] is the public node. */
  nodeIds: number[];
  /** `n1-<tag>.grid.local`: the public node's domain. */
  domain: string;
  /** The public node's public IPv4 (as the node reports it, without prefix). */
  publicIpv4: string;
  runtimes: NodeRuntime[];
  /** Stack config for the provider on this grid (add `tfgrid:mnemonic` from a user). */
  providerConfig(user: GridUser, extra?: Record<string, string>): Record<string, string>;
  /** A fresh account funded with 1000 TFT. */
  user(): Promise<GridUser>;
  /** The provider's own grid connection for `user`, counted and wrapped for faults. */
  connect(user: GridUser, extra?: Record<string, string>): Promise<InstrumentedConnection>;
  /** Extrinsics `user` has signed so far (its account nonce, read from the chain). */
  transactions(user: GridUser): Promise<number>;
  /** Ids of the user's contracts that are not deleted. */
  activeContracts(user: GridUser): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * Starts relay + 3 (or `nodes`) sim node runtimes on a fresh farm of the shared chain. About 5 s. `simDelayMs` makes
 * every backend call of the nodes take that long (provisioning and removal as slow as on a real node).
 */
export async function startProviderGrid(opts: { nodes?: number; simDelayMs?: number /** Indexes of nodes that run as ZOS light nodes. */; light?: number[] } = {}): Promise<ProviderGrid> {
  const chain = await connectTestChain();
  const closers: (() => Promise<void> | void)[] = [() => chain.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const testGrid = await bootstrapTestGrid(chain, { nodes: opts.nodes ?? 3 });
    const relay: Relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: ['localhost', '127.0.0.1'] });
    closers.push(() => relay.close());
    const chainUrl = await testChainUrl();
    const domain = `n1-${testGrid.tag}.grid.local`;
    const publicIpv4 = '185.69.0.50';
    const runtimes: NodeRuntime[] = [];
    for (const [i, n] of testGrid.nodes.entries()) {
      const tmp = tempDir(`tfg-pgrid-${testGrid.tag}-${i}-`);
      closers.push(() => tmp.remove());
      const config = parseNodeConfig({
        dataDir: tmp.dir,
        backend: 'sim',
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [chainUrl] },
        relay: { urls: [relay.url] },
        node: { id: n.id, farmId: testGrid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        shuffleGet: true, // real nodes return workloads in map order
        sim: { delayMs: opts.simDelayMs ?? 0 },
        light: opts.light?.includes(i) ?? false,
        ...(i === 0 ? { publicConfig: { ipv4: `${publicIpv4}/24`, gw4: '185.69.0.1', domain } } : {}),
      });
      const rt = await createNodeRuntime(config, { chain });
      closers.push(() => rt.close());
      await rt.peer.ready();
      runtimes.push(rt);
    }
    // The grid proxy, as `tfgrid local up` runs one: node discovery goes through it (its own funded twin).
    const proxyAccount = await freshAccount(chain, { type: 'sr25519' });
    const gridProxy = await startGridProxy({ chainUrl, relayUrls: [relay.url], secret: `0x${Buffer.from(proxyAccount.identity.seed).toString('hex')}`, pollMs: 1000 });
    closers.push(() => gridProxy.close());
    const twinOf = async (u: GridUser) => chain.getTwinIdByAccount(u.address);
    const providerConfig = (u: GridUser, extra: Record<string, string> = {}): Record<string, string> => ({
      'tfgrid:network': 'test',
      'tfgrid:chainUrls': chainUrl,
      'tfgrid:relayUrls': relay.url,
      'tfgrid:gridProxyUrl': gridProxy.url,
      'tfgrid:mnemonic': u.seed,
      'tfgrid:keyType': u.keyType,
      'tfgrid:deployTimeout': '60',
      'tfgrid:rmbTimeout': '20',
      ...extra,
    });
    return {
      chain,
      chainUrl,
      relayUrl: relay.url,
      gridProxy,
      testGrid,
      nodeIds: testGrid.nodes.map((n) => n.id),
      domain,
      publicIpv4,
      runtimes,
      providerConfig,
      async user() {
        const a = await freshAccount(chain, { type: 'sr25519' });
        return { seed: `0x${Buffer.from(a.identity.seed).toString('hex')}`, keyType: 'sr25519', address: a.identity.address };
      },
      async connect(u, extra = {}) {
        const cfg = providerConfig(u, extra);
        const conn = instrument(await createGridConnection(readConfig((k) => cfg[k], {})));
        closers.push(() => conn.close());
        return conn;
      },
      async transactions(u) {
        const info = (await chain.api.query.system.account(u.address)) as unknown as { nonce: { toNumber(): number } };
        return info.nonce.toNumber();
      },
      async activeContracts(u) {
        const twin = await twinOf(u);
        if (twin === undefined) return [];
        return (await chain.getTwinActiveContracts(twin)).map((c) => c.contractId).sort((a, b) => a - b);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A short unique suffix for names that live on the whole chain (gateway names, groups). */
export function uniqueTag(): string {
  return randomBytes(3).toString('hex');
}

/**
 * This file's provider process on `g`, deploying as `user`: a fresh runtime (no reservations or caches from an
 * earlier one) whose connection and stack config are the grid's, as `provider/dynamic-entry` sees them in the plugin.
 * `factory` replaces the instrumented connection as `user` (e.g. the real one, following each resource's account).
 */
export async function useProviderProcess(g: ProviderGrid, user: GridUser, extra?: Record<string, string>, factory?: GridFactory): Promise<void> {
  await resetRuntime();
  setGridFactory(factory ?? (async () => g.connect(user)));
  const cfg = g.providerConfig(user, extra);
  entry.configure((k) => cfg[k]);
}

/** Ends the provider process of `useProviderProcess` and the grid. */
export async function closeProviderProcess(g: ProviderGrid | undefined): Promise<void> {
  await resetRuntime();
  setGridFactory(undefined);
  await g?.close();
}
