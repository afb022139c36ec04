/** The state file: round trip, atomic write, clear errors for a damaged file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readState, statePath, writeState, type GridState } from './state';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-state-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sample: GridState = {
  version: 1,
  prefix: 'tfgab12',
  dir,
  backend: 'sim',
  backendReason: 'not root',
  phase: 'running',
  startedAt: '2026-01-01T00:00:00.000Z',
  chain: { url: 'ws://127.0.0.1:8000', process: { name: 'chain', pid: 42, startTime: '1', logFile: '/x/chain.log', command: ['a'] } },
  internetNs: '',
  gatewayDomain: 'gw.tfgrid.test',
  farms: [{ farmId: 1, name: 'farm1', twinId: 3, publicIps: [{ ip: '198.18.1.10/16', gateway: '198.18.0.1' }] }],
  nodes: [],
};

describe('grid state file', () => {
  it('reads back what was written, and nothing when absent', () => {
    expect(readState(path.join(dir, 'none'))).toBeUndefined();
    writeState(sample);
    expect(readState(dir)).toEqual(sample);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('names the file and the field when the state is damaged', () => {
    fs.writeFileSync(statePath(dir), '{"version":1,"prefix":3}');
    expect(() => readState(dir)).toThrow(`local grid state ${statePath(dir)}: prefix: Expected string, received number`);
    fs.writeFileSync(statePath(dir), 'nope');
    expect(() => readState(dir)).toThrow('is not JSON');
  });
});
