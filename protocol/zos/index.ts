/**
 * The Zero-OS protocol core (zos-protocol.md, all of it): pure, no I/O, no clock, no randomness.
 *
 * - Wire types and schemas: `Deployment`, `Workload` (narrow on `type` for typed `data`), `WorkloadResult`,
 *   `SignatureRequirement`; every type's data/result schema and rules in `WORKLOAD_KINDS`.
 * - JSON codec (integers exact, Go decoding rules): `parseDeployment(text | value)`, `deploymentToJson(d)`.
 * - Hash and signatures: `deploymentChallenge`, `hashDeployment` (32 lowercase hex), `signingMessage`
 *   (raw digest or polka-wallet), `signDeployment(d, twinId, identity)`, `verifyDeployment(d, getTwinPublicKey)`.
 * - Node rules: `validateDeployment(d)` (first error text or undefined), `planUpgrade(current, next)`.
 * - Helpers: `workloadId`, `netId`, `workloadCapacity`, `deploymentCapacity`, `minRootSize`, `parseSize`,
 *   `formatSize`, `KIB`..`TIB`, Go IP/CIDR formatting (`canonicalIP`, `canonicalCIDR`).
 * @module
 */
export * from './types';
export {
  RESULT_STATES,
  SIGNATURE_STYLE_POLKA,
  workloadResultSchema,
  signatureRequestSchema,
  signatureSchema,
  signatureRequirementSchema,
  workloadEnvelopeSchema,
  deploymentEnvelopeSchema,
  workloadSchema,
  deploymentSchema,
  parseDeployment,
  deploymentToWire,
  deploymentToJson,
  parseResultData,
  DeploymentDecodeError,
} from './deployment';
export type {
  ResultState,
  WorkloadResult,
  SignatureRequest,
  Signature,
  SignatureRequirement,
  WorkloadEnvelope,
  DeploymentEnvelope,
  WorkloadOf,
  Workload,
  Deployment,
  DataDecode,
} from './deployment';
export { ChallengeWriter } from './challenge-writer';
export {
  deploymentChallenge,
  deploymentDigest,
  hashDeployment,
  signingMessage,
} from './challenge';
export { signDeployment, verifyDeployment, type TwinKeyLookup } from './signature';
export { validateDeployment, validateDeploymentAt, nameError, isValidName, MAX_NAME_LENGTH } from './validate';
export { planUpgrade, UPGRADE_VALIDATION_ERROR, type UpgradeOp, type UpgradeOpKind, type UpgradePlan } from './upgrade-plan';
export { workloadId, parseWorkloadId, netId, netId as networkId, base58Encode } from './ids';
export { workloadCapacity, deploymentCapacity, addCapacity } from './capacity';
export { parseSize, formatSize } from './units';
export { canonicalIP, canonicalCIDR, parseGoIP, formatGoIP } from './go-net';
export { parseJsonLossless, stringifyJson, goHexError } from './go-json';
