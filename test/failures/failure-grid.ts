/**
 * The failure suite's own small grid (it restarts the relay and the chain endpoint, which would break other
 * files' deployments on a shared grid): a farm of this file's own with 1 public IP and 2 nodes on the run's
 * shared chain, one relay of its own (restartable on the same port), the chain reached through a restartable
 * endpoint (test/failures/restartable-endpoint.ts; by the nodes and the provider alike), and both nodes as
 * `tfgrid node run` child processes with the sim backend, so a node can be SIGKILLed and started again on its
 * data directory. Node 1 (index 0) has a public config and domain (gateways). The provider runs in this process
 * through `provider/dynamic-entry`, its connection wrapped by `hooked` (timed faults) and `instrument`
 * (test/provider/grid-faults.ts: failNext, setDown, setStalled).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { readConfig } from '../../provider/config';
import * as entry from '../../provider/dynamic-entry';
import { createGridConnection } from '../../provider/grid-connection';
import { resetRuntime, setGridFactory, type GridConnection } from '../../provider/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { tempDir } from '../node/fixtures';
import { killNodeProcess, startNodeProcess, stopNodeProcess, type NodeProcess } from '../node/node-process';
import { instrument, type InstrumentedConnection } from '../provider/grid-faults';
import { hooked, type HookedConnection } from './fault-hooks';
import { startRestartableEndpoint } from './restartable-endpoint';

export interface FailureGrid {
  chain: ChainClient;
  testGrid: TestGrid;
  nodeIds: number[];
  /** Node 1's gateway domain. */
  domain: string;
  /** The deploying user (its twin is the provider's). */
  user: TestAccount;
  /** Another funded twin: takes public IPs or names from under the provider. */
  rival: TestAccount & { twinId: number };
  /** The provider's connection of the current process (set by `newProviderProcess`). */
  conn(): InstrumentedConnection;
  hooks(): HookedConnection;
  /** A fresh provider process: new runtime (no in-memory state of the last one) and fault wrappers. */
  newProviderProcess(): Promise<void>;
  killNode(i: number): Promise<void>;
  startNode(i: number): Promise<void>;
  nodeRunning(i: number): boolean;
  restartRelay(downMs: number): Promise<void>;
  /** Restarts the chain endpoint (nodes and provider lose their chain connection); the next provider process connects anew. */
  restartChain(downMs: number): Promise<void>;
  /** The user's contracts that are not deleted, from the chain. */
  activeContracts(): Promise<number[]>;
  close(): Promise<void>;
}

/** Per-op limits short enough that a stalled node costs seconds, long enough for a node restart under load. */
const PROVIDER_TIMEOUTS = { 'tfgrid:deployTimeout': '8', 'tfgrid:rmbTimeout': '5', 'tfgrid:coalesceMs': '50' };

export async function startFailureGrid(): Promise<FailureGrid> {
  const chain = await connectTestChain();
  const closers: (() => Promise<unknown> | unknown)[] = [() => chain.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const testGrid = await bootstrapTestGrid(chain, { nodes: 2, publicIps: 1 });
    const chainEndpoint = await startRestartableEndpoint(await testChainUrl());
    closers.push(() => chainEndpoint.close());
    const relayOpts = { host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: ['localhost', '127.0.0.1'] };
    let relay: Relay = await createRelay({ ...relayOpts, port: 0 });
    const relayUrl = relay.url;
    const relayPort = Number(new URL(relayUrl).port);
    closers.push(() => relay.close());
    const tmp = tempDir(`tfg-fail-${testGrid.tag}-`);
    closers.push(() => tmp.remove());
    const domain = `n1-${testGrid.tag}.grid.local`;
    const configs = testGrid.nodes.map((n, i) => {
      const file = path.join(tmp.dir, `node${i}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          dataDir: `data${i}`,
          backend: 'sim',
          sim: { delayMs: 20 },
          identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
          chain: { urls: [chainEndpoint.url] },
          relay: { urls: [relayUrl] },
          node: { id: n.id, farmId: testGrid.farmId },
          resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
          shuffleGet: true,
          ...(i === 0 ? { publicConfig: { ipv4: '185.69.0.50/24', gw4: '185.69.0.1', domain } } : {}),
        }),
      );
      return { file, log: path.join(tmp.dir, `node${i}.log`) };
    });
    const procs: (NodeProcess | undefined)[] = [];
    const startNode = async (i: number) => {
      procs[i] = await startNodeProcess(configs[i].file, configs[i].log);
    };
    closers.push(() => Promise.all(procs.map((p) => stopNodeProcess(p))));
    await Promise.all(testGrid.nodes.map((_, i) => startNode(i)));

    const user = await freshAccount(chain);
    const rivalAccount = await freshAccount(chain);
    const rival = { ...rivalAccount, twinId: (await rivalAccount.chain.ensureTwin({ relay: 'localhost' })).id };
    const cfg: Record<string, string> = {
      'tfgrid:network': 'test',
      'tfgrid:chainUrls': chainEndpoint.url,
      'tfgrid:relayUrls': relayUrl,
      'tfgrid:mnemonic': `0x${Buffer.from(user.identity.seed).toString('hex')}`,
      'tfgrid:keyType': user.identity.type,
      ...PROVIDER_TIMEOUTS,
    };
    let conn: InstrumentedConnection | undefined;
    let hooks: HookedConnection | undefined;
    let real: GridConnection | undefined;
    let stale = false;
    closers.push(async () => {
      await resetRuntime();
      await Promise.resolve(real?.close()).catch(() => undefined);
      setGridFactory(undefined);
    });
    const twin = async () => chain.getTwinIdByAccount(user.identity.address);
    return {
      chain,
      testGrid,
      nodeIds: testGrid.nodes.map((n) => n.id),
      domain,
      user,
      rival,
      conn: () =>
        conn ??
        (() => {
          throw new Error('no provider process yet');
        })(),
      hooks: () =>
        hooks ??
        (() => {
          throw new Error('no provider process yet');
        })(),
      async newProviderProcess() {
        await resetRuntime();
        // One chain and relay connection until the chain endpoint restarts (a new one costs seconds under load
        // and holds no deployment state; the relay peer reconnects by itself); the runtime on it (coordinator,
        // reservations, caches) and the fault wrappers are new each time.
        if (stale) await Promise.resolve(real?.close()).catch(() => undefined);
        if (stale || !real) real = await createGridConnection(readConfig((k) => cfg[k], {}));
        stale = false;
        const shared = real;
        hooks = hooked({ deps: shared.deps, close: () => {} });
        const c = instrument(hooks);
        conn = c;
        setGridFactory(async () => c);
        entry.configure((k) => cfg[k]);
      },
      killNode: async (i) => killNodeProcess(procs[i]),
      startNode,
      nodeRunning: (i) => procs[i] !== undefined && procs[i]!.child.exitCode === null && procs[i]!.child.signalCode === null,
      async restartRelay(downMs) {
        await relay.close();
        await new Promise((r) => setTimeout(r, downMs));
        relay = await createRelay({ ...relayOpts, port: relayPort });
      },
      async restartChain(downMs) {
        stale = true;
        await chainEndpoint.restart(downMs);
      },
      async activeContracts() {
        const t = await twin();
        if (t === undefined) return [];
        return (await chain.getTwinActiveContracts(t)).map((c) => c.contractId).sort((a, b) => a - b);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
