/**
 * Steps the provider tests take through `provider/dynamic-entry` the way the plugin does: check, then create.
 * @module
 */
import * as entry from '../../provider/dynamic-entry';

export type Props = Record<string, unknown>;

/** Checks `raw` (expecting no failures) and creates the resource from the checked inputs. */
export async function up(type: string, raw: Props): Promise<{ id: string; outs: Props }> {
  const c = await entry.check(type, {}, raw);
  expect(c.failures ?? []).toEqual([]);
  const r = await entry.create(type, c.inputs as Props);
  return { id: r.id, outs: r.outs as Props };
}
