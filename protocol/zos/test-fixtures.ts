/**
 * Builders for tests and benchmarks: a valid deployment around given workloads, in wire (plain JSON) form.
 * Not used by library code.
 * @module
 */
import { parseDeployment, type Deployment } from './deployment';

export interface RawWorkload {
  name: string;
  type: string;
  data: unknown;
  version?: number;
  metadata?: string;
  description?: string;
}

/** A wire deployment object (twin 7, contract 1234) around `workloads`. */
export function rawDeployment(workloads: RawWorkload[], over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 0,
    twin_id: 7,
    contract_id: 1234,
    metadata: '',
    description: '',
    expiration: 0,
    signature_requirement: { requests: [{ twin_id: 7, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: '' },
    workloads: workloads.map((w) => ({ version: 0, metadata: '', description: '', ...w })),
    ...over,
  };
}

/** Parsed form of `rawDeployment`. */
export function makeDeployment(workloads: RawWorkload[], over: Record<string, unknown> = {}): Deployment {
  return parseDeployment(rawDeployment(workloads, over));
}

export const NET1 = {
  name: 'net1',
  type: 'network',
  data: { ip_range: '10.20.0.0/16', subnet: '10.20.2.0/24', wireguard_private_key: 'key', wireguard_listen_port: 4521, peers: [] },
};

/** A valid zmachine's data with overrides. */
export function vmData(over: Record<string, unknown> = {}, network: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flist: 'https://hub.grid.tf/x.flist',
    network: { public_ip: '', planetary: false, interfaces: [{ network: 'net1', ip: '10.20.2.2' }], ...network },
    size: 0,
    compute_capacity: { cpu: 1, memory: 1073741824 },
    mounts: [],
    entrypoint: '',
    env: {},
    corex: false,
    ...over,
  };
}
