/**
 * `tfgrid local dns add|rm|list`: names on the local grid's DNS (issue 18.10). An FqdnProxy serves your own domain
 * only when the domain points at its gateway node (zos-protocol.md §6.5); on the local grid that is a record in
 * `<grid dir>/dns-records.json`, which the DNS daemon re-reads on change (local/grid/dns-records.ts).
 * @module
 */
import type { Command } from 'commander';
import { InputError } from '../../protocol/common/errors';
import { readDnsRecords, setGridDnsHost } from '../../local/grid/dns-records';
import { defaultGridDir, readState, type GridState, type NodeState } from '../../local/grid/state';

const FQDN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i;

function runningGrid(dir?: string): GridState {
  const state = readState(dir ?? defaultGridDir());
  if (!state) throw new InputError('the local grid is not running', { fix: 'run `tfgrid local up` first' });
  return state;
}

/** `3` (node id), `node2` or `2` when no node has id 2 (index), as `tfgrid local logs` takes them. */
export function findNode(state: GridState, name: string): NodeState {
  const byId = state.nodes.find((n) => String(n.nodeId) === name);
  const byIndex = state.nodes.find((n) => `node${n.index}` === name || String(n.index) === name);
  const node = byId ?? byIndex;
  if (!node) {
    throw new InputError(`no node "${name}" on the local grid; nodes: ${state.nodes.map((n) => `${n.nodeId} (node${n.index})`).join(', ')}`, { path: '<node>' });
  }
  return node;
}

function checkFqdn(fqdn: string): string {
  if (!FQDN.test(fqdn)) throw new InputError(`"${fqdn}" is not a domain name`, { path: '<fqdn>', fix: 'e.g. shop.example.test' });
  return fqdn.toLowerCase().replace(/\.$/, '');
}

export function registerLocalDns(local: Command): void {
  const dirOption = ['--dir <path>', 'grid directory; default $TFGRID_LOCAL_DIR or ~/.tfgrid/local'] as const;
  const dns = local.command('dns').description("names on the local grid's DNS (FQDNs for FqdnProxy gateways)");

  dns
    .command('add <fqdn> <node>')
    .description("point <fqdn> at a node's address on the grid internet, so an FqdnProxy on that node serves it")
    .option(...dirOption)
    .action((fqdn: string, nodeName: string, o: { dir?: string }) => {
      const state = runningGrid(o.dir);
      const node = findNode(state, nodeName);
      const ip = node.address.split('/')[0];
      if (!ip) {
        throw new InputError(`node ${node.nodeId} has no address on the grid internet (${state.backend} backend)`, {
          fix: 'start the grid as root with the linux backend (`tfgrid local up --backend linux`)',
        });
      }
      const name = checkFqdn(fqdn);
      setGridDnsHost(state.dir, name, [ip]);
      process.stdout.write(`${name} → ${ip} (node ${node.nodeId}, node${node.index})\n`);
    });

  dns
    .command('rm <fqdn>')
    .description('remove a name added with `tfgrid local dns add`')
    .option(...dirOption)
    .action((fqdn: string, o: { dir?: string }) => {
      const state = runningGrid(o.dir);
      const name = checkFqdn(fqdn);
      if (!readDnsRecords(state.dir).hosts[name]) throw new InputError(`${name} is not on the grid DNS`, { path: '<fqdn>', fix: 'see `tfgrid local dns list`' });
      setGridDnsHost(state.dir, name, []);
      process.stdout.write(`${name} removed\n`);
    });

  dns
    .command('list')
    .description('the names the grid DNS answers: gateway domains (*.<domain>) and added FQDNs')
    .option('--json', 'print {domains, hosts} as JSON')
    .option(...dirOption)
    .action((o: { dir?: string; json?: boolean }) => {
      const records = readDnsRecords(runningGrid(o.dir).dir);
      if (o.json) {
        process.stdout.write(JSON.stringify(records, null, 2) + '\n');
        return;
      }
      const lines = [...Object.entries(records.domains).map(([d, ips]) => `*.${d}  ${ips.join(', ')}`), ...Object.entries(records.hosts).map(([h, ips]) => `${h}  ${ips.join(', ')}`)];
      process.stdout.write(lines.length ? lines.join('\n') + '\n' : '(no names)\n');
    });
}
