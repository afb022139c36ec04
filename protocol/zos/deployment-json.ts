/**
 * A deployment as JSON values (zos-protocol.md §1.1–§1.3): what RMB carries and what the provider builds, signs and
 * keeps in its state. Snake_case keys as on the wire, integers as numbers, each workload's `data` the JSON object
 * of its type (built from the type's protocol data, `WorkloadDataOf<T>`, and checked by `parseDeployment` before
 * hashing). The typed form, with decoded data and exact 64-bit integers, is `Deployment` (deployment.ts).
 * @module
 */

/** Workload result as the node reports it (zos-protocol.md §1.3). */
export interface WorkloadResultJson {
  created?: number;
  /** A `ResultState`, or `''` in what clients send. */
  state: string;
  message?: string;
  data?: unknown;
}

/** A workload on the wire (zos-protocol.md §1.2). `data` is the type-specific JSON object. */
export interface WorkloadJson {
  version: number;
  name: string;
  type: string;
  data: Record<string, unknown>;
  metadata: string;
  description: string;
  result?: WorkloadResultJson;
}

export interface SignatureRequestJson {
  twin_id: number;
  required: boolean;
  weight: number;
}

export interface SignatureJson {
  twin_id: number;
  signature: string;
  signature_type: string;
}

/** A deployment on the wire (zos-protocol.md §1.1). */
export interface DeploymentJson {
  version: number;
  twin_id: number;
  contract_id: number;
  metadata: string;
  description: string;
  expiration: number;
  signature_requirement: {
    requests: SignatureRequestJson[];
    weight_required: number;
    signatures: SignatureJson[];
    signature_style: string;
  };
  workloads: WorkloadJson[];
}
