/**
 * Contract lifecycle events the node runtime acts on (rmb-tfchain.md §B3): a contract cancelled (node, name
 * or rent), a grace period started (the contract is *locked*: out of funds, workloads should pause) and ended
 * (*unlocked*). One subscription to `system.events`, decoded and handed out as small typed records.
 * @module
 */
import type { ApiPromise } from '@polkadot/api';
import type { EventRecord } from './tx';
import type { Logger } from '../common/log';

export type ContractEvent =
  | { kind: 'cancelled'; contractType: 'node' | 'name' | 'rent'; contractId: number; nodeId?: number; twinId?: number; block: number }
  | { kind: 'locked'; contractId: number; nodeId?: number; twinId?: number; block: number }
  | { kind: 'unlocked'; contractId: number; nodeId?: number; twinId?: number; block: number };

function field(data: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const n of names) if (data[n] !== undefined && data[n] !== null) return Number(data[n]);
  return undefined;
}

/** Decodes one event record; undefined for events that are not contract lifecycle events. */
function decodeContractEvent(rec: EventRecord, block: number): ContractEvent | undefined {
  const { section, method } = rec.event;
  if (section !== 'smartContractModule') return undefined;
  // Named fields (contractId, nodeId, twinId) in metadata v14; fall back to positions when unnamed.
  const names = rec.event.meta.fields.map((f) => (f.name.isSome ? f.name.unwrap().toString() : ''));
  const data: Record<string, unknown> = {};
  rec.event.data.forEach((d, i) => {
    const key = names[i] ? names[i].replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) : `#${i}`;
    data[key] = d.toJSON();
  });
  const contractId = field(data, 'contractId', '#0');
  if (contractId === undefined) return undefined;
  const nodeId = field(data, 'nodeId');
  const twinId = field(data, 'twinId');
  switch (method) {
    case 'NodeContractCanceled':
      return { kind: 'cancelled', contractType: 'node', contractId, nodeId, twinId, block };
    case 'NameContractCanceled':
      return { kind: 'cancelled', contractType: 'name', contractId, block };
    case 'RentContractCanceled':
      return { kind: 'cancelled', contractType: 'rent', contractId, block };
    case 'ContractGracePeriodStarted':
      return { kind: 'locked', contractId, nodeId, twinId, block };
    case 'ContractGracePeriodEnded':
      return { kind: 'unlocked', contractId, nodeId, twinId, block };
    default:
      return undefined;
  }
}

/** Subscribes to new blocks' events; resolves to an unsubscribe function. Handler errors are logged, not thrown. */
export async function subscribeContractEvents(api: ApiPromise, handler: (e: ContractEvent) => void, log: Logger): Promise<() => void> {
  let stopped = false;
  const unsub = await api.rpc.chain.subscribeNewHeads(async (header) => {
    if (stopped || !api.isConnected) return;
    try {
      const at = await api.at(header.hash);
      const records = (await at.query.system.events()) as unknown as EventRecord[];
      for (const rec of records) {
        const e = decodeContractEvent(rec, header.number.toNumber());
        if (e && !stopped) handler(e);
      }
    } catch (err) {
      if (stopped) return;
      log.warn('contract event handler failed', { block: header.number.toNumber(), err: String(err) });
    }
  });
  return () => {
    stopped = true;
    unsub();
  };
}
