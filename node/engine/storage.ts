/**
 * Node storage: deployments, the per-workload transaction log, the sharable-name index and the durable job
 * queue, in one SQLite file (better-sqlite3). Model: zos-protocol.md §8.1, §1.3 (which states `get` shows),
 * §3.2 (create/update errors), §3.8 (boot clean-up).
 *
 * Persisted format (tables below): add columns, never rename. `contract_id` is TEXT (decimal u64).
 * "Current" workload = the last transaction for its name that is not `unchanged`.
 * @module
 */
import Database from 'better-sqlite3';
import * as fs from 'fs';
import * as path from 'path';

export type ResultState = 'init' | 'ok' | 'error' | 'deleted' | 'paused' | 'unchanged';
export const RESULT_STATES: readonly ResultState[] = ['init', 'ok', 'error', 'deleted', 'paused', 'unchanged'];

/** A workload result as the node stores it; `data` is raw JSON text (or null). */
export interface StoredResult {
  created: number;
  state: ResultState;
  message: string;
  data: string | null;
}

/** One workload snapshot (a row of the transaction log). `data` is compact raw JSON as received. */
export interface StoredWorkload {
  version: number;
  name: string;
  type: string;
  data: string;
  metadata: string;
  description: string;
  result: StoredResult;
}

export interface StoredDeployment {
  version: number;
  twinId: number;
  contractId: bigint;
  metadata: string;
  description: string;
  /** Raw JSON of `signature_requirement`. */
  signatureRequirement: string;
  workloads: StoredWorkload[];
}

/** A queued job; `payload` is JSON text whose shape belongs to the engine (add fields, never rename). */
export interface StoredJob {
  id: number;
  op: string;
  twinId: number;
  contractId: bigint;
  payload: string;
}

/** A storage failure with the node's text (`exists`, `... : conflict`, `deployment does not exist`). */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly kind: 'exists' | 'conflict' | 'not-found',
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** Types whose names are unique per twin across deployments (zos-protocol.md §1.4). */
const SHARABLE_TYPES: ReadonlySet<string> = new Set(['network', 'network-light']);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deployments (
  twin_id INTEGER NOT NULL, contract_id TEXT NOT NULL, version INTEGER NOT NULL,
  metadata TEXT NOT NULL, description TEXT NOT NULL, signature_requirement TEXT NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (twin_id, contract_id));
CREATE INDEX IF NOT EXISTS deployments_contract ON deployments(contract_id);
CREATE TABLE IF NOT EXISTS active_workloads (
  twin_id INTEGER NOT NULL, contract_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (twin_id, contract_id, name));
CREATE TABLE IF NOT EXISTS transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  twin_id INTEGER NOT NULL, contract_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
  version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, description TEXT NOT NULL,
  created INTEGER NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, result_data TEXT);
CREATE INDEX IF NOT EXISTS transactions_wl ON transactions(twin_id, contract_id, name);
CREATE TABLE IF NOT EXISTS sharable (
  twin_id INTEGER NOT NULL, name TEXT NOT NULL, contract_id TEXT NOT NULL,
  PRIMARY KEY (twin_id, name));
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL,
  twin_id INTEGER NOT NULL, contract_id TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL);
`;

interface TxRow {
  id: number;
  name: string;
  type: string;
  version: number;
  data: string;
  metadata: string;
  description: string;
  created: number;
  state: string;
  message: string;
  result_data: string | null;
}
interface DeploymentRow {
  twin_id: number;
  contract_id: string;
  version: number;
  metadata: string;
  description: string;
  signature_requirement: string;
  created: number;
}

function rowToWorkload(r: TxRow): StoredWorkload {
  return {
    version: r.version,
    name: r.name,
    type: r.type,
    data: r.data,
    metadata: r.metadata,
    description: r.description,
    result: { created: r.created, state: r.state as ResultState, message: r.message, data: r.result_data },
  };
}

export interface Storage {
  /** Creates a deployment: `init` for every workload, sharable names indexed, and `job` queued, in ONE transaction. */
  create(dl: StoredDeployment, job: Omit<StoredJob, 'id'>, now: number): void;
  get(twinId: number, contractId: bigint): StoredDeployment | undefined;
  /** The twin owning a contract on this node. */
  ownerOf(contractId: bigint): number | undefined;
  contracts(twinId: number): bigint[];
  twins(): number[];
  /** Every (twin, contract) stored. */
  all(): { twinId: number; contractId: bigint }[];
  /** The update's synchronous part: new version + signature requirement (+ description/metadata) and its job. */
  updateDeployment(twinId: number, contractId: bigint, fields: { version: number; signatureRequirement: string; metadata: string; description: string }, job: Omit<StoredJob, 'id'>): void;
  /** Adds a workload to the active set with an `init` transaction (update "add"). */
  add(twinId: number, contractId: bigint, wl: StoredWorkload): void;
  /** Appends a transaction. `deleted` drops the workload from the active set (and the sharable index). */
  transaction(twinId: number, contractId: bigint, wl: StoredWorkload): void;
  changes(twinId: number, contractId: bigint): StoredWorkload[] | undefined;
  delete(twinId: number, contractId: bigint): void;
  /** The contract owning a sharable workload name of a twin. */
  sharable(twinId: number, name: string): bigint | undefined;
  enqueue(job: Omit<StoredJob, 'id'>): number;
  peekJob(): StoredJob | undefined;
  pendingJobs(): StoredJob[];
  finishJob(id: number): void;
  /** Deletes deployments with no active workload, or only deleted ones, that no job still refers to. */
  cleanDeleted(): number;
  /** Runs `fn` inside one SQLite transaction. */
  atomically<T>(fn: () => T): T;
  close(): void;
}

/** Opens (creating if needed) `<dir>/node.db`, or an in-memory store for `':memory:'`. */
export function openStorage(location: string): Storage {
  if (location !== ':memory:') fs.mkdirSync(location, { recursive: true });
  const db = new Database(location === ':memory:' ? ':memory:' : path.join(location, 'node.db'));
  db.pragma('journal_mode = WAL');
  // FULL: a reply is only sent after the deployment and its job are on disk (kill -9 and power loss).
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);

  const st = {
    insertDl: db.prepare('INSERT INTO deployments (twin_id, contract_id, version, metadata, description, signature_requirement, created) VALUES (?,?,?,?,?,?,?)'),
    getDl: db.prepare('SELECT * FROM deployments WHERE twin_id = ? AND contract_id = ?'),
    dlByContract: db.prepare('SELECT twin_id FROM deployments WHERE contract_id = ?'),
    twinExists: db.prepare('SELECT 1 FROM deployments WHERE twin_id = ? LIMIT 1'),
    contracts: db.prepare('SELECT contract_id FROM deployments WHERE twin_id = ? ORDER BY created, rowid'),
    twins: db.prepare('SELECT DISTINCT twin_id FROM deployments ORDER BY twin_id'),
    all: db.prepare('SELECT twin_id, contract_id FROM deployments ORDER BY created, rowid'),
    updateDl: db.prepare('UPDATE deployments SET version = ?, signature_requirement = ?, metadata = ?, description = ? WHERE twin_id = ? AND contract_id = ?'),
    insertActive: db.prepare(
      'INSERT INTO active_workloads (twin_id, contract_id, name, type, seq) VALUES (?,?,?,?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM active_workloads WHERE twin_id = ? AND contract_id = ?))',
    ),
    getActive: db.prepare('SELECT name, type FROM active_workloads WHERE twin_id = ? AND contract_id = ? ORDER BY seq'),
    activeOne: db.prepare('SELECT type FROM active_workloads WHERE twin_id = ? AND contract_id = ? AND name = ?'),
    deleteActive: db.prepare('DELETE FROM active_workloads WHERE twin_id = ? AND contract_id = ? AND name = ?'),
    insertTx: db.prepare('INSERT INTO transactions (twin_id, contract_id, name, type, version, data, metadata, description, created, state, message, result_data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)'),
    currentTx: db.prepare("SELECT * FROM transactions WHERE twin_id = ? AND contract_id = ? AND name = ? AND state != 'unchanged' ORDER BY id DESC LIMIT 1"),
    allTx: db.prepare('SELECT * FROM transactions WHERE twin_id = ? AND contract_id = ? ORDER BY id'),
    getSharable: db.prepare('SELECT contract_id FROM sharable WHERE twin_id = ? AND name = ?'),
    insertSharable: db.prepare('INSERT INTO sharable (twin_id, name, contract_id) VALUES (?,?,?)'),
    deleteSharable: db.prepare('DELETE FROM sharable WHERE twin_id = ? AND name = ? AND contract_id = ?'),
    deleteSharableDl: db.prepare('DELETE FROM sharable WHERE twin_id = ? AND contract_id = ?'),
    deleteActiveDl: db.prepare('DELETE FROM active_workloads WHERE twin_id = ? AND contract_id = ?'),
    deleteTxDl: db.prepare('DELETE FROM transactions WHERE twin_id = ? AND contract_id = ?'),
    deleteDl: db.prepare('DELETE FROM deployments WHERE twin_id = ? AND contract_id = ?'),
    insertJob: db.prepare('INSERT INTO jobs (op, twin_id, contract_id, payload, created) VALUES (?,?,?,?,?)'),
    peekJob: db.prepare('SELECT * FROM jobs ORDER BY id LIMIT 1'),
    allJobs: db.prepare('SELECT * FROM jobs ORDER BY id'),
    jobsFor: db.prepare('SELECT 1 FROM jobs WHERE twin_id = ? AND contract_id = ? LIMIT 1'),
    deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
  };

  const c = (id: bigint) => id.toString();

  const writeTx = (twinId: number, contractId: bigint, wl: StoredWorkload) =>
    st.insertTx.run(twinId, c(contractId), wl.name, wl.type, wl.version, wl.data, wl.metadata, wl.description, wl.result.created, wl.result.state, wl.result.message, wl.result.data);

  const enqueue = (job: Omit<StoredJob, 'id'>, now = Date.now()) => Number(st.insertJob.run(job.op, job.twinId, c(job.contractId), job.payload, now).lastInsertRowid);

  const addWorkload = (twinId: number, contractId: bigint, wl: StoredWorkload) => {
    if (st.activeOne.get(twinId, c(contractId), wl.name)) {
      throw new StorageError('workload with same name already exists in deployment: exists', 'exists');
    }
    if (SHARABLE_TYPES.has(wl.type)) {
      const owner = st.getSharable.get(twinId, wl.name) as { contract_id: string } | undefined;
      if (owner && owner.contract_id !== c(contractId)) {
        throw new StorageError(`global workload with the same name '${wl.name}' exists: conflict`, 'conflict');
      }
      if (!owner) st.insertSharable.run(twinId, wl.name, c(contractId));
    }
    st.insertActive.run(twinId, c(contractId), wl.name, wl.type, twinId, c(contractId));
    writeTx(twinId, contractId, wl);
  };

  const getDeployment = (twinId: number, contractId: bigint): StoredDeployment | undefined => {
    const row = st.getDl.get(twinId, c(contractId)) as DeploymentRow | undefined;
    if (!row) return undefined;
    const active = st.getActive.all(twinId, c(contractId)) as { name: string; type: string }[];
    const workloads: StoredWorkload[] = [];
    for (const a of active) {
      const tx = st.currentTx.get(twinId, c(contractId), a.name) as TxRow | undefined;
      if (tx) workloads.push(rowToWorkload(tx));
    }
    return {
      version: row.version,
      twinId: row.twin_id,
      contractId: BigInt(row.contract_id),
      metadata: row.metadata,
      description: row.description,
      signatureRequirement: row.signature_requirement,
      workloads,
    };
  };

  const deleteDeployment = (twinId: number, contractId: bigint) => {
    st.deleteSharableDl.run(twinId, c(contractId));
    st.deleteActiveDl.run(twinId, c(contractId));
    st.deleteTxDl.run(twinId, c(contractId));
    st.deleteDl.run(twinId, c(contractId));
  };

  const storage: Storage = {
    create: db.transaction((dl: StoredDeployment, job: Omit<StoredJob, 'id'>, now: number) => {
      if (st.getDl.get(dl.twinId, c(dl.contractId))) throw new StorageError('exists', 'exists');
      st.insertDl.run(dl.twinId, c(dl.contractId), dl.version, dl.metadata, dl.description, dl.signatureRequirement, now);
      for (const wl of dl.workloads) addWorkload(dl.twinId, dl.contractId, wl);
      enqueue(job, now);
    }),
    get: getDeployment,
    ownerOf(contractId) {
      const row = st.dlByContract.get(c(contractId)) as { twin_id: number } | undefined;
      return row?.twin_id;
    },
    contracts: (twinId) => (st.contracts.all(twinId) as { contract_id: string }[]).map((r) => BigInt(r.contract_id)),
    twins: () => (st.twins.all() as { twin_id: number }[]).map((r) => r.twin_id),
    all: () =>
      (st.all.all() as { twin_id: number; contract_id: string }[]).map((r) => ({
        twinId: r.twin_id,
        contractId: BigInt(r.contract_id),
      })),
    updateDeployment: db.transaction((twinId: number, contractId: bigint, f: { version: number; signatureRequirement: string; metadata: string; description: string }, job: Omit<StoredJob, 'id'>) => {
      if (!st.twinExists.get(twinId)) throw new StorageError('twin not found: deployment does not exist', 'not-found');
      const res = st.updateDl.run(f.version, f.signatureRequirement, f.metadata, f.description, twinId, c(contractId));
      if (res.changes === 0) throw new StorageError('deployment not found: deployment does not exist', 'not-found');
      enqueue(job);
    }),
    add: db.transaction((twinId: number, contractId: bigint, wl: StoredWorkload) => addWorkload(twinId, contractId, wl)),
    transaction: db.transaction((twinId: number, contractId: bigint, wl: StoredWorkload) => {
      writeTx(twinId, contractId, wl);
      if (wl.result.state === 'deleted') {
        st.deleteActive.run(twinId, c(contractId), wl.name);
        if (SHARABLE_TYPES.has(wl.type)) st.deleteSharable.run(twinId, wl.name, c(contractId));
      }
    }),
    changes(twinId, contractId) {
      if (!st.getDl.get(twinId, c(contractId))) return undefined;
      return (st.allTx.all(twinId, c(contractId)) as TxRow[]).map(rowToWorkload);
    },
    delete: db.transaction((twinId: number, contractId: bigint) => deleteDeployment(twinId, contractId)),
    sharable(twinId, name) {
      const row = st.getSharable.get(twinId, name) as { contract_id: string } | undefined;
      return row ? BigInt(row.contract_id) : undefined;
    },
    enqueue: (job) => enqueue(job),
    peekJob() {
      const r = st.peekJob.get() as { id: number; op: string; twin_id: number; contract_id: string; payload: string } | undefined;
      return r && { id: r.id, op: r.op, twinId: r.twin_id, contractId: BigInt(r.contract_id), payload: r.payload };
    },
    pendingJobs: () =>
      (st.allJobs.all() as { id: number; op: string; twin_id: number; contract_id: string; payload: string }[]).map((r) => ({
        id: r.id,
        op: r.op,
        twinId: r.twin_id,
        contractId: BigInt(r.contract_id),
        payload: r.payload,
      })),
    finishJob: (id) => void st.deleteJob.run(id),
    cleanDeleted: db.transaction(() => {
      let purged = 0;
      for (const { twin_id, contract_id } of st.all.all() as { twin_id: number; contract_id: string }[]) {
        if (st.jobsFor.get(twin_id, contract_id)) continue;
        const dl = getDeployment(twin_id, BigInt(contract_id));
        if (dl && dl.workloads.every((w) => w.result.state === 'deleted')) {
          deleteDeployment(twin_id, BigInt(contract_id));
          purged++;
        }
      }
      return purged;
    }),
    atomically: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
  return storage;
}
