/**
 * The grid DNS's records file (`<grid dir>/dns-records.json`): gateway domains (`*.node1.tfgrid.test` → the
 * node's address on the grid internet) written by `tfgrid local up`, and FQDNs a user or test adds so that an
 * FqdnProxy's name resolves to its gateway node (zos-protocol.md §6.5). The DNS daemon re-reads it on change.
 * Persisted: add fields, never rename.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';

export const dnsRecordsSchema = z.object({
  domains: z.record(z.array(z.string())),
  hosts: z.record(z.array(z.string())),
});
export type DnsRecords = z.infer<typeof dnsRecordsSchema>;

export function dnsRecordsPath(gridDir: string): string {
  return path.join(gridDir, 'dns-records.json');
}

export function readDnsRecords(gridDir: string): DnsRecords {
  try {
    return dnsRecordsSchema.parse(JSON.parse(fs.readFileSync(dnsRecordsPath(gridDir), 'utf8')));
  } catch {
    return { domains: {}, hosts: {} };
  }
}

export function writeDnsRecords(gridDir: string, records: DnsRecords): void {
  const file = dnsRecordsPath(gridDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(gridDir, { recursive: true });
  fs.writeFileSync(tmp, JSON.stringify(records, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Points `fqdn` at `ips` on the grid DNS (e.g. an FqdnProxy's domain at its gateway node); `[]` removes it. */
export function setGridDnsHost(gridDir: string, fqdn: string, ips: string[]): void {
  const r = readDnsRecords(gridDir);
  const name = fqdn.toLowerCase().replace(/\.$/, '');
  if (ips.length === 0) delete r.hosts[name];
  else r.hosts[name] = ips;
  writeDnsRecords(gridDir, r);
}
