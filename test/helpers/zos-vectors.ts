/**
 * ZOS deployment test vectors: ours in test/fixtures/zos/deployment-vectors.json (written by
 * scripts/gen-test-vectors.ts from ThreeFold's grid_client), and the same shape in `../shared` when present.
 * Files are parsed losslessly so integers stay exact.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { parseJsonLossless } from '../../protocol/zos';

export const OWN_VECTORS_FILE = path.resolve(__dirname, '..', 'fixtures', 'zos', 'deployment-vectors.json');
/** Where `../shared` keeps its vectors (optional). */
export const SHARED_VECTORS_PARTS = ['vectors', 'zos-protocol-vectors.json'];

const hexString = z.string().regex(/^[0-9a-f]*$/);
const vectorSchema = z.object({
  name: z.string(),
  deployment: z.unknown(),
  expected: z.object({
    challenge_string: z.string(),
    md5_hex: hexString.length(32),
    ed25519_public_key_hex: hexString.length(64),
    ed25519_signature_default_hex: hexString.length(128),
    ed25519_signature_polka_hex: hexString.length(128),
  }),
});
const vectorFileSchema = z.object({
  ed25519_seed_hex: hexString.length(64),
  vectors: z.array(vectorSchema).min(1),
  mnemonic_vector: z.object({
    mnemonic: z.string(),
    mini_secret_hex: hexString.length(64),
    ed25519_public_key_hex: hexString.length(64),
    /** Signature of the first vector's digest. */
    ed25519_signature_of_v1_digest_hex: hexString.length(128),
    sr25519_public_key_hex: hexString.length(64),
    sr25519_ss58_address: z.string(),
  }),
});

export type Vector = z.infer<typeof vectorSchema>;
export type VectorFile = z.infer<typeof vectorFileSchema> & { text: string };

export function loadVectorFile(file: string): VectorFile {
  const text = fs.readFileSync(file, 'utf8');
  return { ...vectorFileSchema.parse(parseJsonLossless(text)), text };
}

let own: VectorFile | undefined;
/** Our fixtures (always present). */
export function ownVectors(): VectorFile {
  return (own ??= loadVectorFile(OWN_VECTORS_FILE));
}

export function vectorNamed(file: VectorFile, name: string): Vector {
  const v = file.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name} in ${file.vectors.map((x) => x.name).join(', ')}`);
  return v;
}

/**
 * A vector's deployment as `JSON.parse` reads it (for tests that hand it on as text or edit it): exact for these
 * files, whose integers are all below 2^53.
 */
export function plainDeployment(file: VectorFile, name: string): Record<string, unknown> {
  const plain = JSON.parse(file.text) as { vectors: { name: string; deployment: Record<string, unknown> }[] };
  const v = plain.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v.deployment;
}
