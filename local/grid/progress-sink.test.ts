/** Progress: a live spinner line on a TTY, one plain line per state change in CI. */
import { createProgressSink } from './progress-sink';

function capture(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
}

describe('progress sink', () => {
  it('prints one plain line per state in CI, ignoring ticking counters', () => {
    const { out, stream } = capture(true);
    const p = createProgressSink(stream, { CI: 'true' });
    p.update('chain: waiting for RPC (1s)');
    p.update('chain: waiting for RPC (2s)');
    p.update('relay: starting');
    p.done('grid up');
    expect(out).toEqual(['… chain: waiting for RPC (1s)\n', '… relay: starting\n', 'ok grid up\n']);
  });

  it('rewrites one line with a spinner on a terminal', () => {
    const { out, stream } = capture(true);
    const p = createProgressSink(stream, {});
    p.update('chain (1s)');
    p.update('chain (2s)');
    p.done('chain ready');
    expect(out[0]).toMatch(/^\r\x1b\[2K. chain \(1s\)$/);
    expect(out[1]).toMatch(/^\r\x1b\[2K. chain \(2s\)$/);
    expect(out[0][5]).not.toBe(out[1][5]);
    expect(out[2]).toBe('\r\x1b[2K✔ chain ready\n');
  });

  it('uses plain lines when output is not a terminal', () => {
    const { out, stream } = capture(false);
    createProgressSink(stream, {}).update('x');
    expect(out).toEqual(['… x\n']);
  });
});
