/**
 * A stack's checkpoint as `pulumi stack export` prints it (the real CLI, the grid's backend): for tests and tools
 * that look at what the engine recorded (a resource's outputs, a secrets scan). `showSecrets` decrypts with the
 * stack's passphrase, as `pulumi stack export --show-secrets` does, and `resources[].outputs` then hold the values.
 * @module
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { z } from 'zod';
import { TfgridError } from '../../protocol/common/errors';
import { findPulumiCli, pulumiEnv } from './cli-env';
import { displayType, urnName } from './engine-events';

const exportSchema = z.object({
  deployment: z
    .object({
      resources: z.array(z.object({ urn: z.string(), type: z.string(), id: z.string().optional(), outputs: z.record(z.unknown()).optional() }).passthrough()).optional(),
    })
    .passthrough(),
});

/** Pulumi's secret envelope in a checkpoint: `{ <SECRET_SIG>: <SECRET_VALUE>, ciphertext | plaintext }`. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** Replaces each decrypted secret envelope (`--show-secrets`: `plaintext` holds the value as JSON) by its value. */
export function revealSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revealSecrets);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (o[SECRET_SIG] === SECRET_VALUE && typeof o.plaintext === 'string') return revealSecrets(JSON.parse(o.plaintext));
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revealSecrets(x)]));
}

export interface ExportedResource {
  urn: string;
  /** `tfgrid:ZMachine` for our resources (engine-events.ts `displayType`). */
  type: string;
  name: string;
  id?: string;
  outputs: Record<string, unknown>;
}

export interface StackExport {
  /** The CLI's JSON text, as it printed it (what a secrets scan reads). */
  text: string;
  resources: ExportedResource[];
}

export async function exportStack(opts: { programDir: string; stack: string; gridDir: string; showSecrets?: boolean }): Promise<StackExport> {
  const cli = findPulumiCli();
  const args = ['stack', 'export', '--stack', opts.stack, '--non-interactive', ...(opts.showSecrets ? ['--show-secrets'] : [])];
  const text = await new Promise<string>((resolve, reject) =>
    execFile(path.join(cli.binDir, 'pulumi'), args, { cwd: opts.programDir, env: { ...process.env, ...pulumiEnv(cli, opts.gridDir) }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new TfgridError(`pulumi ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
  const parsed = exportSchema.parse(JSON.parse(text));
  const resources = (parsed.deployment.resources ?? []).map((r) => ({
    urn: r.urn,
    type: displayType(r.type),
    name: urnName(r.urn),
    id: r.id,
    // with --show-secrets, values instead of envelopes; without, the envelopes (ciphertext) stay
    outputs: (opts.showSecrets ? revealSecrets(r.outputs ?? {}) : (r.outputs ?? {})) as Record<string, unknown>,
  }));
  return { text, resources };
}
