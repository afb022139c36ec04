/** The gateway behaviour suite against the real reverse proxy (docs/style.md §6). */
import { silentLogger } from '../../../protocol/common/log';
import { describeGatewayBackend } from './gateway.suite';
import { createGridCa } from './grid-ca';
import { createGatewayProxy, readSni } from './proxy';

const ca = createGridCa();
describeGatewayBackend('proxy', async (deps, node) => createGatewayProxy({ ...deps, log: silentLogger }, { node, ca, listen: { host: '127.0.0.1', httpPort: 0, httpsPort: 0 } }));

describe('readSni', () => {
  it('needs more bytes for a partial record and ignores non-TLS traffic', () => {
    expect(readSni(Buffer.from([0x16, 3, 1]))).toBe('incomplete');
    expect(readSni(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
  });
});
