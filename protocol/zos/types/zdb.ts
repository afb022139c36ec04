/** zdb: a 0-db namespace on HDD. Wire format and rules: zos-protocol.md §1.5 (zdb), §2.4, §3.5, §4 (capitalised result keys). */
import { goBool, goSlice, goString, goStruct, goUint64, goUintNumber } from '../go-json';
import { capacity, type WorkloadKind } from './kind';

export const ZDB = 'zdb';
export const ZDB_MODES = ['user', 'seq'] as const;

export const zdbDataSchema = goStruct('zos.ZDB', {
  size: goUint64('gridtypes.Unit'),
  mode: goString('zos.ZDBMode'),
  password: goString(),
  public: goBool(),
});
export type ZDBData = ReturnType<typeof zdbDataSchema.parse>;

/** Go `ZDBResult` has no json tags: the keys are `Namespace`, `IPs`, `Port`. */
export const zdbResultSchema = goStruct('zos.ZDBResult', {
  Namespace: goString(),
  IPs: goSlice(goString(), '[]string'),
  Port: goUintNumber('uint'),
});
export type ZDBResult = ReturnType<typeof zdbResultSchema.parse>;

export const zdb = {
  type: ZDB as typeof ZDB,
  goType: '*zos.ZDB',
  sharable: false,
  data: zdbDataSchema,
  result: zdbResultSchema,
  challenge: (d, w) => void w.uint(d.size).str(d.mode).str(d.password).bool(d.public),
  validate: (d) => {
    if (d.size === 0n) return 'invalid size';
    if (d.mode !== 'user' && d.mode !== 'seq') return 'invalid mode';
    return undefined;
  },
  capacity: (d) => capacity({ hru: d.size }),
  update: {
    supported: true,
    predict: (old, next) => {
      if (old.mode !== next.mode) return { outcome: 'unchanged', message: 'cannot change namespace mode' };
      if (next.size < old.size) return { outcome: 'unchanged', message: 'cannot shrink zdb namespace' };
      if (next.size === old.size && next.password === old.password && next.public === old.public) return { outcome: 'noop' };
      return { outcome: 'apply' };
    },
  },
} satisfies WorkloadKind<ZDBData, ZDBResult>;
