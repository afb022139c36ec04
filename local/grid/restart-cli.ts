/**
 * `tfgrid local restart <chain|relay|hub|dns|node<i>>` (issue 19): one daemon stopped by PID and started again
 * on purpose, as a reboot of that node or service looks to the rest of the grid. Registered on the `local`
 * command by cli/commands/local.ts.
 * @module
 */
import type { Command } from 'commander';
import { restartGridDaemon } from './grid';
import { createProgressSink } from './progress-sink';
import { defaultGridDir } from './state';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

export function registerRestartVerb(local: Command): void {
  local
    .command('restart <daemon>')
    .description('stop one daemon (chain | relay | hub | dns | node<i> | <node id>) and start it again on the same ports and data; the chain means a new grid')
    .option('--dir <path>', 'grid directory; default $TFGRID_LOCAL_DIR or ~/.tfgrid/local')
    .option('--json', 'print {name, oldPid, pid, restarts} as JSON')
    .action(async (daemon: string, o: { dir?: string; json?: boolean }) => {
      const t = Date.now();
      const r = await restartGridDaemon(daemon, {
        dir: o.dir ?? defaultGridDir(),
        progress: createProgressSink(process.stderr),
        announce: (l) => process.stderr.write(l + '\n'),
      });
      const seconds = (Date.now() - t) / 1000;
      if (o.json) out(JSON.stringify({ name: r.name, oldPid: r.oldPid, pid: r.pid, restarts: r.restarts, seconds }));
      else if (r.name === 'chain') out(`chain: a new grid started (chain pid ${r.pid}) in ${seconds.toFixed(1)} s`);
      else out(`${r.name}: restarted (pid ${r.oldPid ?? '-'} → ${r.pid}, ${r.restarts} restart${r.restarts === 1 ? '' : 's'} so far) in ${seconds.toFixed(1)} s`);
    });
}
