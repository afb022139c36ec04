/** The local grid's internet (DESIGN.md §4): plan rows, then real namespaces as root. */
import { describeWithTools } from '../../test/helpers/require-tools';
import { applyTopology, createLaptop, destroyTopology, execInNamespace, listNamespaces, planTopology, removeLaptop } from './topology';

describe('planTopology', () => {
  it('gives each node a host namespace, an uplink address and the internet gateway', () => {
    const plan = planTopology({
      prefix: 'tfgt1',
      nodes: 3,
      farms: [
        { id: 1, publicIps: 2 },
        { id: 2, publicIps: 1 },
      ],
    });
    expect(plan.internetNs).toBe('tfgt1-inet');
    expect(plan.nodes.map((n) => [n.netns, n.uplink, n.address, n.gateway])).toEqual([
      ['tfgt1-n1', 'uplink', '198.18.0.11/16', '198.18.0.1'],
      ['tfgt1-n2', 'uplink', '198.18.0.12/16', '198.18.0.1'],
      ['tfgt1-n3', 'uplink', '198.18.0.13/16', '198.18.0.1'],
    ]);
    expect(plan.farms).toEqual([
      {
        farm: 1,
        ips: [
          { ip: '198.18.1.10/16', gateway: '198.18.0.1' },
          { ip: '198.18.1.11/16', gateway: '198.18.0.1' },
        ],
      },
      { farm: 2, ips: [{ ip: '198.18.2.10/16', gateway: '198.18.0.1' }] },
    ]);
  });

  it.each([
    [{ prefix: 'Bad', nodes: 1 }, 'topology prefix "Bad"'],
    [{ prefix: 'waytoolongprefix', nodes: 1 }, 'must be 2-9'],
    [{ prefix: 'ok', nodes: 0 }, '--nodes 0'],
    [{ prefix: 'ok', nodes: 201 }, '--nodes 201'],
  ])('refuses %j', (opts, text) => {
    expect(() => planTopology({ ...opts, farms: [] })).toThrow(text);
  });
});

describeWithTools(['ip', 'ping'], { root: true })('applyTopology (root)', () => {
  const prefix = `tfgt${process.pid % 100000}`;
  const plan = planTopology({ prefix, nodes: 2, farms: [{ id: 1, publicIps: 2 }] });

  afterAll(async () => {
    await destroyTopology(prefix);
  });

  it('joins node hosts and a laptop over the internet bridge, and a farm IP added on a node is reachable', async () => {
    await applyTopology(plan);
    await applyTopology(plan); // re-running is harmless
    const laptop = await createLaptop(plan, 1);
    await execInNamespace(plan.nodes[0].netns, 'ping', ['-c', '1', '-W', '2', '198.18.0.12']);
    await execInNamespace(laptop.netns, 'ping', ['-c', '1', '-W', '2', '198.18.0.11']);
    await execInNamespace(plan.nodes[1].netns, 'ip', ['addr', 'add', plan.farms[0].ips[0].ip, 'dev', 'uplink']);
    await execInNamespace(laptop.netns, 'ping', ['-c', '1', '-W', '2', '198.18.1.10']);
    await expect(execInNamespace(laptop.netns, 'ping', ['-c', '1', '-W', '1', '198.18.1.11'])).rejects.toThrow();
    await removeLaptop(laptop);
    expect(await listNamespaces()).not.toContain(laptop.netns);
  });

  it('destroyTopology removes its own namespaces and nothing else', async () => {
    await applyTopology(plan);
    const other = `${prefix}x-keep`; // shares the text prefix but not `<prefix>-`
    const { runCommand } = await import('./command');
    await runCommand('ip', ['netns', 'add', other]);
    try {
      const removed = await destroyTopology(prefix);
      expect(removed.sort()).toEqual([`${prefix}-inet`, `${prefix}-n1`, `${prefix}-n2`].sort());
      const left = await listNamespaces();
      expect(left.filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
      expect(left).toContain(other);
    } finally {
      await runCommand('ip', ['netns', 'del', other]);
    }
  });
});
