/** zlogs: streams a zmachine's logs to a redis/ws/wss URL. zos-protocol.md §1.5 (zlogs), §2.4, §4. */
import { z } from 'zod';
import { goString, goStruct } from '../go-json';
import { parseGoUrl } from '../go-url';
import { capacity, NOT_UPDATABLE, type WorkloadKind } from './kind';

export const ZLOGS = 'zlogs';
export const ZLOGS_SCHEMES = ['redis', 'ws', 'wss'] as const;

export const zlogsDataSchema = goStruct('zos.ZLogs', { zmachine: goString('gridtypes.Name'), output: goString() });
export type ZLogsData = ReturnType<typeof zlogsDataSchema.parse>;

export const zlogs = {
  type: ZLOGS as typeof ZLOGS,
  goType: '*zos.ZLogs',
  sharable: false,
  data: zlogsDataSchema,
  result: z
    .null()
    .or(z.undefined())
    .transform(() => null),
  challenge: (d, w) => void w.str(d.zmachine).str(d.output),
  validate: (d, deployment) => {
    const vm = deployment.get(d.zmachine);
    if (!vm || vm.type !== 'zmachine') return `no zmachine with name '${d.zmachine}' found`;
    let scheme: string;
    try {
      scheme = parseGoUrl(d.output).scheme;
    } catch (err) {
      return `invalid url supplied in output: ${(err as Error).message}`;
    }
    if (!(ZLOGS_SCHEMES as readonly string[]).includes(scheme)) return `invalid output schema '${scheme}' not supported`;
    return undefined;
  },
  capacity: () => capacity(),
  update: NOT_UPDATABLE,
} satisfies WorkloadKind<ZLogsData, null>;
