/**
 * Writes test/fixtures/zos/deployment-vectors.json: for the deployments in test-vector-deployments.ts, the
 * challenge string, contract hash and signatures as ThreeFold's official TypeScript client computes them, so
 * protocol/zos is checked against an implementation that is not ours (and that real deployments use):
 *
 * - challenge and hash: `Deployment.challenge()` / `challenge_hash()` of @threefold/grid_client (crypto-js md5);
 * - default-style signature: grid_client's `Deployment.sign()` (polkadot-js Keyring over the 16 digest bytes);
 * - polka-wallet-style signature: the Keyring over `u8aWrapBytes(hex)` of @polkadot/util, the wrapping the
 *   polkadot{.js} extension applies to raw data (grid_client has no such style);
 * - mnemonic keys: Keyring.addFromUri and mnemonicToMiniSecret of grid_client's own @polkadot packages.
 *
 * grid_client is not a dependency of this repository (it pulls in stellar, algorand …); install it apart once:
 *
 *   npm install --prefix build/vector-gen --no-audit --no-fund @threefold/grid_client@2.9.2
 *   node -r @swc-node/register scripts/gen-test-vectors.ts [--grid-client build/vector-gen] [--check]
 *
 * Every module is loaded from that install, none from this repository's node_modules. `--check` compares with
 * the committed file and exits 1 when it differs.
 * @module
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { VECTOR_DEPLOYMENTS, type VectorDeployment } from './test-vector-deployments';

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'test', 'fixtures', 'zos', 'deployment-vectors.json');
const argAt = process.argv.indexOf('--grid-client');
const prefix = path.resolve(root, argAt > 0 ? process.argv[argAt + 1] : path.join('build', 'vector-gen'));
const gridClientDir = path.join(prefix, 'node_modules', '@threefold', 'grid_client');

/** RFC 8032 §7.1 test 1 secret key: a public, well-known ed25519 seed. */
const SEED_HEX = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
/** Substrate's well-known development phrase. */
const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

interface GcDeployment {
  challenge(): string;
  challenge_hash(): string;
  sign(twinId: number, mnemonic: string, type: 'ed25519' | 'sr25519'): Promise<void>;
  signature_requirement: { signatures: { twin_id: number; signature: string }[] };
}
interface Pair {
  publicKey: Uint8Array;
  address: string;
  sign(m: Uint8Array): Uint8Array;
}
interface GridClientModules {
  version: string;
  keyringVersion: string;
  toDeployment(raw: VectorDeployment): GcDeployment;
  pair(uri: string, type: 'ed25519' | 'sr25519'): Pair;
  wrapBytes(s: string): Uint8Array;
  miniSecret(mnemonic: string): Uint8Array;
  ready(): Promise<void>;
}

/** Loads grid_client and the polkadot packages it depends on, resolved from its own install. */
function loadGridClient(): GridClientModules {
  if (!fs.existsSync(path.join(gridClientDir, 'package.json'))) {
    process.stderr.write(
      `gen-test-vectors: no @threefold/grid_client under ${prefix}\n` + `  fix: npm install --prefix ${path.relative(root, prefix) || '.'} --no-audit --no-fund @threefold/grid_client@2.9.2\n`,
    );
    process.exit(2);
  }
  const req = createRequire(path.join(gridClientDir, 'package.json'));
  const version = (req('./package.json') as { version: string }).version;
  req('reflect-metadata');
  const { plainToInstance } = req('class-transformer') as { plainToInstance(cls: unknown, plain: unknown): unknown };
  const { Deployment } = req('./dist/node/zos/deployment') as { Deployment: unknown };
  const { Keyring } = req('@polkadot/keyring') as { Keyring: new (o: { type: string; ss58Format?: number }) => { addFromUri(u: string): Pair } };
  const keyringVersion = (createRequire(req.resolve('@polkadot/keyring'))('@polkadot/keyring/package.json') as { version: string }).version;
  const { u8aWrapBytes } = req('@polkadot/util') as { u8aWrapBytes(s: string): Uint8Array };
  const { mnemonicToMiniSecret, cryptoWaitReady } = req('@polkadot/util-crypto') as {
    mnemonicToMiniSecret(m: string): Uint8Array;
    cryptoWaitReady(): Promise<boolean>;
  };
  return {
    version,
    keyringVersion,
    // grid_client picks each workload's data class by a `__type` discriminator that its own builders set.
    toDeployment: (raw) => plainToInstance(Deployment, { ...raw, workloads: raw.workloads.map((w) => ({ ...w, data: { ...w.data, __type: w.type } })) }) as GcDeployment,
    pair: (uri, type) => new Keyring({ type, ss58Format: 42 }).addFromUri(uri),
    wrapBytes: u8aWrapBytes,
    miniSecret: mnemonicToMiniSecret,
    ready: async () => void (await cryptoWaitReady()),
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function main(): Promise<void> {
  const gc = loadGridClient();
  await gc.ready();
  const seedPair = gc.pair(`0x${SEED_HEX}`, 'ed25519');
  const vectors = [];
  for (const { name, deployment } of VECTOR_DEPLOYMENTS) {
    const d = gc.toDeployment(deployment);
    const md5 = d.challenge_hash();
    await d.sign(deployment.twin_id, `0x${SEED_HEX}`, 'ed25519');
    vectors.push({
      name,
      deployment,
      expected: {
        challenge_string: d.challenge(),
        md5_hex: md5,
        ed25519_public_key_hex: hex(seedPair.publicKey),
        ed25519_signature_default_hex: d.signature_requirement.signatures[0].signature,
        ed25519_signature_polka_hex: hex(seedPair.sign(gc.wrapBytes(md5))),
      },
    });
  }
  const first = gc.toDeployment(VECTOR_DEPLOYMENTS[0].deployment);
  await first.sign(VECTOR_DEPLOYMENTS[0].deployment.twin_id, MNEMONIC, 'ed25519');
  const sr = gc.pair(MNEMONIC, 'sr25519');
  const out = {
    _about:
      'Generated by scripts/gen-test-vectors.ts (do not edit): deployments defined by pulumi-tfgrid, expected values ' +
      `computed by @threefold/grid_client ${gc.version} (Deployment.challenge, challenge_hash, sign) and @polkadot/keyring ` +
      `${gc.keyringVersion} (polka style: sign(u8aWrapBytes(md5_hex))). ed25519 seed: RFC 8032 test 1.`,
    ed25519_seed_hex: SEED_HEX,
    vectors,
    mnemonic_vector: {
      mnemonic: MNEMONIC,
      mini_secret_hex: hex(gc.miniSecret(MNEMONIC)),
      ed25519_public_key_hex: hex(gc.pair(MNEMONIC, 'ed25519').publicKey),
      ed25519_signature_of_v1_digest_hex: first.signature_requirement.signatures[0].signature,
      sr25519_public_key_hex: hex(sr.publicKey),
      sr25519_ss58_address: sr.address,
    },
  };
  const text = `${JSON.stringify(out, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`${path.relative(root, target)} differs from what grid_client ${gc.version} computes\n`);
      process.exit(1);
    }
    process.stdout.write(`${path.relative(root, target)} matches grid_client ${gc.version}\n`);
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(root, target)} (${vectors.length} deployments, grid_client ${gc.version})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gen-test-vectors: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
