/** The preview-vs-up comparison (issue 22): understatements are found and named, overstatements allowed. */
import { comparePlan, describeMissed } from './plan-compare';

const s = (op: string, name: string, type = 'tfgrid:ZMachine') => ({ op, type, name });

describe('comparePlan', () => {
  it('finds nothing when up did what the preview said', () => {
    expect(comparePlan([s('same', 'a'), s('update', 'n', 'tfgrid:Network')], [s('same', 'a'), s('update', 'n', 'tfgrid:Network')])).toEqual({ missed: [], overstated: [] });
  });

  it('names the resource and both operations when up did more than the preview said', () => {
    const c = comparePlan([s('update', 'net', 'tfgrid:Network'), s('same', 'vm1'), s('same', 'vm2')], [s('update', 'net', 'tfgrid:Network'), s('replace', 'vm1'), s('replace', 'vm2')]);
    expect(c.missed).toEqual([
      { resource: 'tfgrid:ZMachine vm1', planned: 'same', done: 'replace' },
      { resource: 'tfgrid:ZMachine vm2', planned: 'same', done: 'replace' },
    ]);
    expect(describeMissed(c)).toBe('tfgrid:ZMachine vm1: the preview planned same, up did replace\ntfgrid:ZMachine vm2: the preview planned same, up did replace');
    expect(comparePlan([s('update', 'a')], [s('replace', 'a')]).missed).toHaveLength(1);
    expect(comparePlan([], [s('create', 'a')]).missed).toHaveLength(1);
    expect(comparePlan([s('same', 'a')], [s('delete', 'a')]).missed).toHaveLength(1);
  });

  it('allows a preview that overstated (an unknown that turned out unchanged) and lists it', () => {
    const c = comparePlan([s('replace', 'gw', 'tfgrid:NameProxy')], [s('same', 'gw', 'tfgrid:NameProxy')]);
    expect(c).toEqual({ missed: [], overstated: [{ resource: 'tfgrid:NameProxy gw', planned: 'replace', done: 'same' }] });
  });

  it("reads the CLI's replace halves as one replace", () => {
    expect(comparePlan([s('create-replacement', 'a'), s('delete-replaced', 'a')], [s('replace', 'a')])).toEqual({ missed: [], overstated: [] });
  });
});
