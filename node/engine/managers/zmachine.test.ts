/**
 * One zmount mounted by several machines of its deployment (issue 18.9). ZOS accepts it: zosbase primitives/vm
 * `vmMounts` attaches the disk of every mount with no check of other machines, and the cloud-hypervisor ZOS ships
 * (v39) takes no lock on disk images, so every machine gets the same disk. The node does the same: each machine
 * mounts the one disk, and it stays mounted until the last machine using it is gone (a machine leaving must not
 * unmount it under the others, nor let the next machine mount the image a second time). Sim backends.
 */
import { buildDeployment, type MemoryChain, NODE_ID, SAMPLE, signedPayload, startSimNode, testIdentity, type SimNodeHarness, type WorkloadSpec } from '../../../test/node/fixtures';

const alice = testIdentity(3);
const ALICE = 9;
const CONTRACT = 41n;

const machine = (name: string, octet: number): WorkloadSpec => ({
  ...SAMPLE.vm,
  name,
  data: { ...SAMPLE.vm.data, network: { ...SAMPLE.vm.data.network, interfaces: [{ network: 'net', ip: `10.20.2.${octet}` }] } },
});

describe('a disk mounted by several machines', () => {
  let node: SimNodeHarness;
  beforeAll(async () => (node = await startSimNode('tfg-shared-disk-', { [ALICE]: alice })));
  afterAll(() => node.close());

  const states = () =>
    Object.fromEntries((JSON.parse(node.engine.get(ALICE, CONTRACT)) as { workloads: { name: string; result: { state: string } }[] }).workloads.map((w) => [w.name, w.result.state]));
  const diskMounted = async () => (await node.backends.storage.get(`${ALICE}-${CONTRACT}-disk`))?.mountpoint !== undefined;

  async function apply(version: number, workloads: WorkloadSpec[]): Promise<void> {
    const d = buildDeployment(ALICE, CONTRACT, workloads, { version });
    (node.chain as MemoryChain).contractFor(d, NODE_ID);
    if (version === 0) await node.engine.deploy(ALICE, signedPayload(d, alice));
    else await node.engine.update(ALICE, signedPayload(d, alice));
    await node.engine.idle();
  }

  it('is accepted for three machines and stays mounted until the last one is removed', async () => {
    const base = [SAMPLE.disk, SAMPLE.net];
    await apply(0, [...base, machine('a', 5), machine('b', 6), machine('c', 7)]);
    expect(states()).toEqual({ disk: 'ok', net: 'ok', a: 'ok', b: 'ok', c: 'ok' });
    expect(await diskMounted()).toBe(true);

    // one machine goes (a delete-before-replace): the others still use the disk
    await apply(
      1,
      [...base, machine('b', 6), machine('c', 7)].map((w) => ({ ...w, version: 0 })),
    );
    expect(states()).toEqual({ disk: 'ok', net: 'ok', b: 'ok', c: 'ok' });
    expect(await diskMounted()).toBe(true);

    // its replacement mounts the same disk again
    await apply(2, [...[...base, machine('b', 6), machine('c', 7)].map((w) => ({ ...w, version: 0 })), { ...machine('a', 8), version: 2 }]);
    expect(states()).toEqual({ disk: 'ok', net: 'ok', a: 'ok', b: 'ok', c: 'ok' });
    expect(await diskMounted()).toBe(true);

    // all machines gone: the disk is free again (and can grow)
    await apply(
      3,
      [SAMPLE.disk, SAMPLE.net].map((w) => ({ ...w, version: 0 })),
    );
    expect(states()).toEqual({ disk: 'ok', net: 'ok' });
    expect(await diskMounted()).toBe(false);
  });
});
