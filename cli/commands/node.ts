/**
 * `tfgrid node run --config FILE`: runs one ZOS-compatible node (node/main.ts) in the foreground.
 * @module
 */
import type { Command } from 'commander';
import { runNode } from '../../node/main';

export function registerNode(program: Command): void {
  const node = program.command('node').description('the ZOS-compatible node runtime');
  node
    .command('run')
    .description('run one node: its twin key, farm, resources, backend and data directory come from the config file')
    .requiredOption('--config <file>', 'node config (YAML or JSON), see node/config.ts')
    .action(async (opts: { config: string }) => {
      await runNode(opts.config);
    });
}
