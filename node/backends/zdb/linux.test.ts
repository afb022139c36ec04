/** The zdb behaviour suite against the Linux (RESP server) backend (docs/style.md §6). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../../protocol/common/log';
import { createLinuxZdbBackend } from './linux';
import { describeZdbBackend } from './zdb.suite';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describeZdbBackend('linux', async (capacity) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdb-'));
  dirs.push(dataDir);
  return createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0, capacity });
});
