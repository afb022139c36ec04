/** `tfgrid local status` (issue 7): the hub's flists in the JSON form and the text table, and what examples get from them. */
import * as os from 'os';
import * as path from 'path';
import { describeGrid, formatStatus } from './status';
import { gridRunConfig } from './example-runner';
import type { GridState } from './state';

const base: GridState = {
  version: 1,
  prefix: 'tfgq1',
  dir: path.join(os.tmpdir(), 'tfg-status'),
  backend: 'linux',
  backendReason: 'root on Linux',
  phase: 'running',
  startedAt: '2026-01-01T00:00:00.000Z',
  chain: { url: 'ws://127.0.0.1:8000' },
  relay: { url: 'ws://127.0.0.1:8080' },
  hub: { url: 'http://127.0.0.1:8090' },
  internetNs: '',
  gatewayDomain: 'tfgrid.test',
  farms: [],
  nodes: [],
  user: { mnemonic: 'word '.repeat(12).trim(), twinId: 9 },
};

describe('grid status: hub flists', () => {
  it('reports the base and VM flists in JSON and as lines of the table', () => {
    const st = describeGrid({ ...base, baseFlist: 'http://127.0.0.1:8090/tf/base.flist', vmFlist: 'http://127.0.0.1:8090/tf/vm.flist' });
    expect(st.baseFlist).toBe('http://127.0.0.1:8090/tf/base.flist');
    expect(st.vmFlist).toBe('http://127.0.0.1:8090/tf/vm.flist');
    const lines = formatStatus(st).split('\n');
    expect(lines).toContain('  flist      http://127.0.0.1:8090/tf/base.flist');
    expect(lines).toContain('  vm flist   http://127.0.0.1:8090/tf/vm.flist');
  });

  it('leaves the VM flist out when the hub could not build it', () => {
    const st = describeGrid({ ...base, baseFlist: 'http://127.0.0.1:8090/tf/base.flist' });
    expect(st.vmFlist).toBeUndefined();
    expect(JSON.parse(JSON.stringify(st))).not.toHaveProperty('vmFlist');
    expect(formatStatus(st)).not.toContain('vm flist');
  });

  it('gives examples <project>:flist and <project>:vmFlist from the hub, and explicit config wins', () => {
    const grid = { ...base, baseFlist: 'http://h/tf/base.flist', vmFlist: 'http://h/tf/vm.flist' };
    expect(gridRunConfig(grid, 'tfgrid-zmachine-vm').programDefaults).toMatchObject({
      'tfgrid-zmachine-vm:flist': 'http://h/tf/base.flist',
      'tfgrid-zmachine-vm:vmFlist': 'http://h/tf/vm.flist',
    });
    expect(gridRunConfig(grid, 'p', { vmFlist: 'http://other/x.flist' }).programOverrides['p:vmFlist']).toBe('http://other/x.flist');
    expect(gridRunConfig(base, 'p').programDefaults).not.toHaveProperty('p:vmFlist');
  });
});
