/**
 * Boot recovery across deployments (zos-protocol.md §3.8; jobs.ts `requeueAtBoot`): a machine added by an update
 * to a deployment older than the one holding its network comes back after a node restart. Before, the boot jobs
 * ran oldest deployment first, so the machine was provisioned before its network existed and a healthy workload
 * turned into `error` ("network … not found") on a mere restart (issue 19: the web-app example on a linux grid).
 */
import { systemClock } from '../../protocol/common/clock';
import { silentLogger } from '../../protocol/common/log';
import { buildDeployment, MemoryChain, NODE_ID, SAMPLE, signedPayload, simNode, tempDir, testIdentity } from '../../test/node/fixtures';
import { createEngine, type Engine } from './engine';
import { openStorage, type Storage } from './storage';

const TWIN = 7;
const user = testIdentity(1);

/** An engine on the data dir `dir` with fresh sim backends (what a restarted node process has). */
async function startNode(dir: string, chain: MemoryChain): Promise<{ engine: Engine; storage: Storage }> {
  const { facts, backends } = simNode(dir, chain);
  const storage = openStorage(dir);
  const engine = createEngine({ chain, backends, clock: systemClock, log: silentLogger }, { storage, facts });
  await engine.start();
  return { engine, storage };
}

function states(engine: Engine, contract: bigint): Record<string, string> {
  const dl = JSON.parse(engine.get(TWIN, contract)) as { workloads: { name: string; result: { state: string; message: string } }[] };
  return Object.fromEntries(dl.workloads.map((w) => [w.name, w.result.state === 'ok' ? 'ok' : `${w.result.state}: ${w.result.message}`]));
}

describe('boot recovery', () => {
  it('provisions the deployments holding networks first, so machines of older deployments find theirs', async () => {
    const tmp = tempDir('tfg-boot-order-');
    const chain = new MemoryChain();
    chain.twins.set(TWIN, user.publicKey);
    let node = await startNode(tmp.dir, chain);
    try {
      const deploy = async (d: ReturnType<typeof buildDeployment>, op: 'deploy' | 'update') => {
        chain.contractFor(d, NODE_ID);
        await node.engine[op](TWIN, signedPayload(d, user));
        await node.engine.idle();
      };
      // The provider's order: the disk's deployment, then the network's, then the machine added to the first.
      await deploy(buildDeployment(TWIN, 1n, [SAMPLE.disk]), 'deploy');
      await deploy(buildDeployment(TWIN, 2n, [SAMPLE.net]), 'deploy');
      await deploy(buildDeployment(TWIN, 1n, [{ ...SAMPLE.disk, version: 0 }, SAMPLE.vm], { version: 1 }), 'update');
      expect(states(node.engine, 1n)).toEqual({ disk: 'ok', vm: 'ok' });

      await node.engine.close();
      node.storage.close();
      node = await startNode(tmp.dir, chain);
      await node.engine.idle();
      expect(states(node.engine, 2n)).toEqual({ net: 'ok' });
      expect(states(node.engine, 1n)).toEqual({ disk: 'ok', vm: 'ok' });
    } finally {
      await node.engine.close();
      node.storage.close();
      tmp.remove();
    }
  });
});
