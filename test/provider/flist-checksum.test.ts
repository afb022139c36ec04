/**
 * `flistChecksum` of a ZMachine through `provider/dynamic-entry` on the provider grid (local chain, relay, sim node)
 * with the local hub (local/hub) serving the flist and its `.md5`: a checksum the hub does not confirm is refused at
 * preview naming the field, both md5s and the fix, before any transaction; a missing `.md5` is refused; a matching
 * one deploys; a change of the checksum alone replaces nothing and leaves the workload on the node as it was.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as entry from '../../provider/dynamic-entry';
import { createHub, type Hub } from '../../local/hub/hub';
import { tempDir } from '../node/fixtures';
import { up, type Props } from './entry-steps';
import { closeProviderProcess, startProviderGrid, useProviderProcess, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(180_000);

describe('ZMachine flistChecksum on the provider grid', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let hub: Hub;
  let n1: number;
  let flist: string;
  let md5: string;
  let tmp: { dir: string; remove(): void } | undefined;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    [n1] = g.nodeIds;
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
    tmp = tempDir('flist-checksum');
    const dir = tmp.dir;
    const rootfs = path.join(dir, 'rootfs');
    await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
    await fs.writeFile(path.join(rootfs, 'etc', 'hostname'), 'checksum\n');
    hub = await createHub({ dir: path.join(dir, 'hub') });
    flist = await hub.publishDir('tf', 'small', rootfs);
    md5 = (await hub.list('tf')).find((e) => e.name === 'small.flist')!.md5;
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    tmp?.remove();
    await closeProviderProcess(g);
  });

  it('refuses a mismatch and a missing .md5 at preview, deploys a match, and updates the checksum in place', async () => {
    const net = await up('Network', { name: 'sumNet', nodes: [n1] });
    const machine = (extra: Props): Props => ({ node: n1, deployment: 'sum', name: 'vm', flist, network: { name: 'sumNet', subnets: net.outs.nodeSubnets }, cpu: 1, memory: '256MiB', ...extra });
    const txBefore = await g.transactions(user);

    const wrong = 'ffffffffffffffffffffffffffffffff';
    const refused = await entry.check('ZMachine', {}, machine({ flistChecksum: wrong }));
    expect(refused.failures).toEqual([
      {
        property: 'flistChecksum',
        reason: `ZMachine "vm": flistChecksum ${wrong}: the flist ${flist} has md5 ${md5} (from ${flist}.md5), not ${wrong}. Fix: if that flist is the one you mean, set flistChecksum to "${md5}"; otherwise fix flist`,
      },
    ]);
    const missing = await entry.check('ZMachine', {}, machine({ flist: hub.flistUrl('tf', 'absent'), flistChecksum: md5 }));
    expect(missing.failures).toEqual([{ property: 'flistChecksum', reason: expect.stringMatching(/serves no md5 at .*\/tf\/absent\.flist\.md5 \(HTTP 404\)\. Fix: /) }]);
    expect(await g.transactions(user)).toBe(txBefore);

    const vm = await up('ZMachine', machine({ flistChecksum: md5 }));
    expect(vm.outs).toMatchObject({ state: 'ok', flistChecksum: md5 });

    // A change of the checksum: checked at preview, and alone it is an update that sends the same workload.
    const oldInputs = machine({ flistChecksum: md5 });
    const badChange = await entry.check('ZMachine', oldInputs, machine({ flistChecksum: wrong }));
    expect(badChange.failures).toEqual([{ property: 'flistChecksum', reason: expect.stringContaining(`has md5 ${md5}`) }]);
    const change = await entry.check('ZMachine', oldInputs, machine({ flistChecksum: md5.toUpperCase() }));
    expect(change.failures ?? []).toEqual([]);
    const d = await entry.diff('ZMachine', vm.id, vm.outs, change.inputs as Props);
    expect(d.changes).toBe(true);
    expect(d.replaces ?? []).toEqual([]);
    const updated = (await entry.update('ZMachine', vm.id, vm.outs, change.inputs as Props)).outs as Props;
    expect(updated).toMatchObject({ state: 'ok', flistChecksum: md5.toUpperCase(), version: vm.outs.version, privateIp: vm.outs.privateIp, contractId: vm.outs.contractId });

    await entry.delete('ZMachine', vm.id, updated);
    await entry.delete('Network', net.id, net.outs);
  });
});
