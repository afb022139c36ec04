import { resetNotices, setNoticeSink, throttledProgress, warnOnce } from './notices';

describe('notices', () => {
  it('progress: nothing for a short wait; then one line per deployment at most every 15 s; done only after a line', () => {
    let t = 0;
    const lines: string[] = [];
    const p = throttledProgress((l) => lines.push(l), { now: () => t });
    for (t = 0; t <= 3000; t += 500) p.update(`node 1 deployment 7: ZMount "a" waits for the node to provision it (init), ${t / 1000}s of 300s`);
    p.done('node 1 deployment 7: v1 applied (zmount "a" ok)');
    expect(lines).toEqual([]); // a 3 s wait is not worth a line
    for (t = 0; t <= 40_000; t += 500) {
      p.update(`node 2 deployment 8: ZMachine "vm" waits for the node to fetch flist http://h/x.flist and start the machine (init), ${t / 1000}s of 300s`);
      p.update(`node 3 deployment 9: Zdb "z" waits for the node to provision it (init), ${t / 1000}s of 300s`);
    }
    p.done('node 2 deployment 8: v1 applied (zmachine "vm" ok)');
    expect(lines.filter((l) => l.includes('node 2'))).toEqual([
      'tfgrid: node 2 deployment 8: ZMachine "vm" waits for the node to fetch flist http://h/x.flist and start the machine (init), 5s of 300s',
      'tfgrid: node 2 deployment 8: ZMachine "vm" waits for the node to fetch flist http://h/x.flist and start the machine (init), 20s of 300s',
      'tfgrid: node 2 deployment 8: ZMachine "vm" waits for the node to fetch flist http://h/x.flist and start the machine (init), 35s of 300s',
      'tfgrid: node 2 deployment 8: v1 applied (zmachine "vm" ok)',
    ]);
    expect(lines.filter((l) => l.includes('node 3'))).toHaveLength(3);
  });

  it('warnings: once per text per process, to the sink', () => {
    resetNotices();
    const lines: string[] = [];
    setNoticeSink((l) => lines.push(l));
    try {
      warnOnce('preview did not check the grid: no mnemonic');
      warnOnce('preview did not check the grid: no mnemonic');
      warnOnce('Zdb "z": capacity not checked');
    } finally {
      setNoticeSink(undefined);
    }
    expect(lines).toEqual(['warning: tfgrid: preview did not check the grid: no mnemonic', 'warning: tfgrid: Zdb "z": capacity not checked']);
  });
});
