/**
 * `tfgrid zos hash|sign|verify|validate`: inspect deployments the way a ZOS node sees them
 * (zos-protocol.md §2 hash and signatures, §2.8 verification, §3.2 validation). A composition root: reads
 * files, loads keys, prints; every decision is protocol/zos. Bad input is one line naming the field (exit 2).
 * @module
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { InputError, ZosError } from '../../protocol/common/errors';
import { cryptoReady, identityFromSecret, KEY_TYPES, type KeyType } from '../../protocol/common/identity';
import {
  DeploymentDecodeError,
  deploymentChallenge,
  deploymentToJson,
  hashDeployment,
  parseDeployment,
  signDeployment,
  validateDeploymentAt,
  verifyDeployment,
  type Deployment,
} from '../../protocol/zos';

/** Reads FILE (or stdin for `-`) and decodes it with the node's rules; errors name the file and field. */
function readDeployment(file: string): Deployment {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { path: file }, { cause: err });
  }
  try {
    return parseDeployment(text);
  } catch (err) {
    if (err instanceof DeploymentDecodeError) {
      const where = err.context.path ? `${err.context.path}: ` : '';
      throw new InputError(`${file}: ${where}${err.message}`, { ...err.context, path: err.context.path }, { cause: err });
    }
    throw err;
  }
}

/** Parses `HEX` (32 bytes, optional 0x) into a public key; `field` names the option in errors. */
function parsePublicKey(hex: string, field: string): Uint8Array {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) {
    throw new InputError(`${field}: ${JSON.stringify(hex)} is not a 32-byte public key; pass 64 hex characters`, { path: field });
  }
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** `--pubkey HEX` (every twin) or `--pubkey TWIN=HEX` (repeatable). */
function keyLookup(specs: string[]): (twin: number) => Promise<Uint8Array> {
  let fallback: Uint8Array | undefined;
  const byTwin = new Map<number, Uint8Array>();
  for (const spec of specs) {
    const m = /^(\d+)[=:](.*)$/.exec(spec);
    if (m) byTwin.set(Number(m[1]), parsePublicKey(m[2], `--pubkey ${m[1]}`));
    else fallback = parsePublicKey(spec, '--pubkey');
  }
  return async (twin) => {
    const key = byTwin.get(twin) ?? fallback;
    if (!key) throw new Error(`no --pubkey given for twin ${twin}`);
    return key;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerZos(program: Command): void {
  const zos = program.command('zos').description('inspect ZOS deployments: hash, sign, verify, validate (byte-exact with nodes)');

  zos
    .command('hash')
    .description('print the contract hash (md5 of the challenge, 32 lowercase hex) of a deployment JSON')
    .argument('<file>', 'deployment JSON, or - for stdin')
    .option('--challenge', 'print the challenge pre-image instead of its hash')
    .action((file: string, opts: { challenge?: boolean }) => {
      const d = readDeployment(file);
      process.stdout.write(`${opts.challenge ? deploymentChallenge(d) : hashDeployment(d)}\n`);
    });

  zos
    .command('sign')
    .description('sign a deployment and print it; an existing signature of the twin is replaced')
    .argument('<file>', 'deployment JSON, or - for stdin')
    .requiredOption('--type <type>', 'ed25519 or sr25519')
    .option('--seed <hex>', '32-byte hex seed (default: $TFGRID_SEED)')
    .option('--mnemonic <words>', 'BIP39 mnemonic of the twin account (default: $TFGRID_MNEMONIC; the environment keeps it out of `ps`)')
    .option('--twin <id>', 'twin id to sign as (default: the deployment twin_id)')
    .action(async (file: string, opts: { type: string; seed?: string; mnemonic?: string; twin?: string }) => {
      if (!(KEY_TYPES as readonly string[]).includes(opts.type)) {
        throw new InputError(`--type: ${JSON.stringify(opts.type)} is not a key type; use ed25519 or sr25519`, { path: '--type' });
      }
      if (opts.seed === undefined && opts.mnemonic === undefined) {
        // the key need not be on the command line: the environment, one of the two
        if (process.env.TFGRID_SEED) opts.seed = process.env.TFGRID_SEED;
        else if (process.env.TFGRID_MNEMONIC) opts.mnemonic = process.env.TFGRID_MNEMONIC;
      }
      if ((opts.seed === undefined) === (opts.mnemonic === undefined)) {
        throw new InputError('sign needs exactly one of --seed HEX or --mnemonic WORDS (or $TFGRID_SEED / $TFGRID_MNEMONIC)', { path: '--seed' });
      }
      let twin: number | undefined;
      if (opts.twin !== undefined) {
        if (!/^\d+$/.test(opts.twin) || Number(opts.twin) > 0xffffffff) {
          throw new InputError(`--twin: ${JSON.stringify(opts.twin)} is not a twin id (a uint32)`, { path: '--twin' });
        }
        twin = Number(opts.twin);
      }
      const d = readDeployment(file);
      await cryptoReady();
      const field = opts.seed !== undefined ? '--seed' : '--mnemonic';
      const secret = opts.seed ?? opts.mnemonic ?? '';
      if (field === '--seed' && !/^(0x)?[0-9a-fA-F]{64}$/.test(secret.trim())) {
        throw new InputError('--seed: not a 32-byte hex seed; pass 64 hex characters', { path: '--seed' });
      }
      const identity = identityFromSecret(secret, opts.type as KeyType, field);
      process.stdout.write(`${deploymentToJson(signDeployment(d, twin ?? d.twin_id, identity), 2)}\n`);
    });

  zos
    .command('verify')
    .description("check every signature as the node does; exits 1 with the node's error text on failure")
    .argument('<file>', 'deployment JSON, or - for stdin')
    .requiredOption('--pubkey <hex>', 'public key of every signer, or TWIN=HEX per twin (repeatable)', collect, [])
    .action(async (file: string, opts: { pubkey: string[] }) => {
      const lookup = keyLookup(opts.pubkey);
      const d = readDeployment(file);
      await cryptoReady();
      await verifyDeployment(d, lookup);
      process.stdout.write(`signatures ok (${d.signature_requirement.signatures.length} signature(s), hash ${hashDeployment(d)})\n`);
    });

  zos
    .command('validate')
    .description("run the node's synchronous validation; prints its error and exits 1, or prints ok")
    .argument('<file>', 'deployment JSON, or - for stdin')
    .action((file: string) => {
      const d = readDeployment(file);
      const err = validateDeploymentAt(d);
      if (!err) {
        process.stdout.write(`ok: ${d.workloads.length} workload(s) valid\n`);
        return;
      }
      const where = err.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '');
      throw new ZosError(`${file}: ${where}: ${err.message}`, { nodeMessage: err.message, path: where });
    });
}
