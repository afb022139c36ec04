/**
 * The deployment challenge, its md5 hash and the signed message (zos-protocol.md §2.2–§2.6): version, twin,
 * metadata, description, expiration, each workload in array order, each signature request, weight_required,
 * signature_style. `contract_id`, `signatures`, `result` and `corex` are not hashed.
 * Hash what `parseDeployment` returned: it puts IPs, CIDRs and hex in the node's canonical form; data built
 * by hand (a non-canonical IPv6, uppercase hex) would be hashed as written and miss the node's hash.
 * @module
 */
import { createHash } from 'crypto';
import { ChallengeWriter } from './challenge-writer';
import { SIGNATURE_STYLE_POLKA, type Deployment, type SignatureRequirement, type Workload } from './deployment';
import { ZosError } from '../common/errors';
import { isWorkloadType, kindOf } from './types';

/** Writes one workload (§2.3): version, name, type, metadata, description, then the type's data stream. */
export function writeWorkloadChallenge(wl: Workload, w: ChallengeWriter): void {
  // Typed deployments come from parseDeployment; a hand-built one with a foreign type fails as the node does.
  if (!isWorkloadType(wl.type)) throw new ZosError(`invalid reservation type '${String(wl.type)}'`);
  w.uint(wl.version).str(wl.name).str(wl.type).str(wl.metadata).str(wl.description);
  kindOf(wl.type).challenge(wl.data, w);
}

/** Writes the signature requirement: each request (twin, required, weight), weight_required, style. */
export function writeSignatureRequirementChallenge(sr: SignatureRequirement, w: ChallengeWriter): void {
  for (const r of sr.requests) w.uint(r.twin_id).bool(r.required).uint(r.weight);
  w.uint(sr.weight_required).str(sr.signature_style);
}

/** Writes the whole deployment stream into `w`. */
export function writeDeploymentChallenge(d: Deployment, w: ChallengeWriter): void {
  w.uint(d.version).uint(d.twin_id).str(d.metadata).str(d.description).uint(d.expiration);
  for (const wl of d.workloads) writeWorkloadChallenge(wl, w);
  writeSignatureRequirementChallenge(d.signature_requirement, w);
}

/** The challenge pre-image as text (`tfgrid zos hash --challenge`). */
export function deploymentChallenge(d: Deployment): string {
  const w = new ChallengeWriter();
  writeDeploymentChallenge(d, w);
  return w.toString();
}

/** md5 of the challenge: the 16 raw bytes the default signature style signs. */
export function deploymentDigest(d: Deployment): Uint8Array {
  return new Uint8Array(createHash('md5').update(deploymentChallenge(d), 'utf8').digest());
}

/** The contract hash: 32 lowercase hex characters, stored verbatim on tfchain as `deployment_hash`. */
export function hashDeployment(d: Deployment): string {
  return createHash('md5').update(deploymentChallenge(d), 'utf8').digest('hex');
}

/**
 * The bytes a twin signs: the raw digest, or for `polka-wallet` the ASCII `<Bytes>` + hex + `</Bytes>`.
 */
export function signingMessage(d: Deployment): Uint8Array {
  const digest = deploymentDigest(d);
  if (d.signature_requirement.signature_style !== SIGNATURE_STYLE_POLKA) return digest;
  return new TextEncoder().encode(`<Bytes>${Buffer.from(digest).toString('hex')}</Bytes>`);
}
