/**
 * Where the Pulumi CLI is and the environment every run of it gets (issue 21): the CLI that `make pulumi` built
 * into this checkout's `.tools/pulumi/bin`, else `pulumi` on PATH; no update check, no automatic plugin download,
 * `PULUMI_HOME` and a file backend under the grid's directory (the state lives and dies with the grid, as the
 * chain's contracts do), and the passphrase secrets provider.
 *
 * The passphrase is `PULUMI_CONFIG_PASSPHRASE` when set, else one generated once per user and kept 0600 in
 * `~/.tfgrid/pulumi-passphrase`. Not per grid: the passphrase's salt is written into the project's
 * `Pulumi.<stack>.yaml` (`encryptionsalt`), which outlives any grid (`tfgrid local reset`, each test run's grid),
 * and a new passphrase would make the file's secrets unreadable ("incorrect passphrase").
 * @module
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../protocol/common/errors';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** `make pulumi`'s install root (holds `bin/pulumi`). */
export const CHECKOUT_PULUMI_ROOT = path.join(REPO_ROOT, '.tools', 'pulumi');

export interface PulumiCli {
  /** The install root for `PulumiCommand.get({ root })`, or undefined for `pulumi` on PATH. */
  root?: string;
  /** The directory holding `pulumi` (and the dynamic-provider plugin beside it), first on the CLI's PATH. */
  binDir: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The CLI to run; throws (never falls back to anything else) when there is none. */
export function findPulumiCli(): PulumiCli {
  const local = path.join(CHECKOUT_PULUMI_ROOT, 'bin', 'pulumi');
  if (fs.existsSync(local)) return { root: CHECKOUT_PULUMI_ROOT, binDir: path.dirname(local) };
  const found = onPath('pulumi');
  if (found) return { binDir: path.dirname(found) };
  throw new InputError('no Pulumi CLI: neither .tools/pulumi/bin/pulumi nor `pulumi` on PATH', {
    fix: 'run `make pulumi` in the checkout (builds the pinned CLI from Go modules), or install Pulumi',
  });
}

/** The user's passphrase file (see the module comment for why it is not in the grid's directory). */
export function passphraseFile(): string {
  return path.join(os.homedir(), '.tfgrid', 'pulumi-passphrase');
}

/** `PULUMI_CONFIG_PASSPHRASE`, else the kept one, generated on first use. */
export function pulumiPassphrase(env: NodeJS.ProcessEnv = process.env, file = passphraseFile()): string {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(24).toString('base64url');
  try {
    fs.writeFileSync(file, fresh + '\n', { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (err) {
    // another run wrote it first: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

/**
 * The state backend: `PULUMI_BACKEND_URL` when set (a pipeline's state outlives the runner and the grid's
 * directory: examples/gitops/pipeline.sh), else the grid's file backend (`pulumi login file://…`).
 */
export function backendUrl(gridDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_BACKEND_URL || `file://${path.join(gridDir, 'pulumi-state')}`;
}

/** The environment of every CLI run against the grid in `gridDir`. */
export function pulumiEnv(cli: PulumiCli, gridDir: string): Record<string, string> {
  const home = path.join(gridDir, 'pulumi-home');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(path.join(gridDir, 'pulumi-state'), { recursive: true });
  return {
    PATH: [cli.binDir, process.env.PATH ?? ''].join(path.delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: backendUrl(gridDir),
    PULUMI_CONFIG_PASSPHRASE: pulumiPassphrase(),
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
  };
}
