/**
 * `make package`: builds the publishable `pulumi-tfgrid` package in build/package and packs it with `npm pack`;
 * the tarball's path is the last line printed. The package holds the compiled SDK and the provider code the
 * serialized shims `require()` in the plugin process (`pulumi-tfgrid/dist/provider/dynamic-entry`, provider/shim.ts),
 * schema.json, a README and the licence. Its dependencies are exactly the npm packages that compiled code
 * requires (scripts/package-closure.ts), at the versions of the root package.json, so a user's install never
 * brings the local grid's or the node runtime's dependencies. The root package.json stays the dev workspace.
 * Run: node -r @swc-node/register scripts/package.ts
 * @module
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { computeClosure } from './package-closure';

const ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(ROOT, 'build');
export const PACKAGE_DIR = path.join(BUILD_DIR, 'package');
export const STABLE_TARBALL = path.join(BUILD_DIR, 'pulumi-tfgrid.tgz');
/** What the serialized shims load (provider/shim.ts); the package must hold it at exactly this path. */
const PROVIDER_ENTRY = 'dist/provider/dynamic-entry.js';
/** Resolved through the user's own `@pulumi/pulumi`, so a program and the SDK share one copy. */
const PEER_PACKAGES = ['@pulumi/pulumi'];

const rootPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  license: z.string(),
  engines: z.object({ node: z.string() }),
  dependencies: z.record(z.string()),
});

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed${out ? `:\n${out.trim()}` : ''}`, { cause: err });
  }
}

const README = (version: string, deps: string[]) => `# pulumi-tfgrid

Pulumi resources for the [ThreeFold Grid](https://threefold.io) in TypeScript: networks, public IPs, disks,
VMs and containers, zdb namespaces, quantum-safe file systems and web gateways on Zero-OS nodes. Version ${version}.

## Install

    npm install pulumi-tfgrid @pulumi/pulumi

## Use

\`\`\`ts
import * as tfgrid from "pulumi-tfgrid";

const net = new tfgrid.Network("net", { networkName: "app_net", nodes: [1] });
const vm = new tfgrid.ZMachine("web", {
  node: 1, network: net, flist: "https://hub.grid.tf/tf-official-apps/base:latest.flist",
  cpu: 1, memory: "256MiB", entrypoint: "/sbin/zinit init",
});
export const privateIp = vm.privateIp;
\`\`\`

Configure the stack, then deploy:

    pulumi config set tfgrid:network test           # dev | qa | test | main, or local for a local grid
    pulumi config set --secret tfgrid:mnemonic "…"  # the funded account that signs contracts
    pulumi up

The resources are Pulumi dynamic providers: the provider code runs from this package in your project's
\`node_modules\`, so keep it installed where \`pulumi up\` runs. \`schema.json\` describes every resource's inputs and
outputs. Runtime dependencies: ${deps.join(', ')}.

Licensed under the Apache License 2.0 (LICENSE).
`;

/** Data files the compiled code reads beside itself (protocol/rmb/types.proto), by extension. */
const ASSET_EXTENSIONS = ['.proto'];

/** Copies every asset of a source folder that has compiled files into its place under dist/; returns them. */
function copyAssets(distDir: string, files: string[]): string[] {
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  return dirs.flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((name) => ASSET_EXTENSIONS.includes(path.extname(name)))
      .map((name) => {
        fs.copyFileSync(path.join(ROOT, dir, name), path.join(distDir, dir, name));
        return path.join(dir, name);
      }),
  );
}

/** Builds build/package and returns the tarball's path. */
export function buildPackage(log: (line: string) => void = () => {}): string {
  const root = rootPackageSchema.parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')));
  fs.rmSync(PACKAGE_DIR, { recursive: true, force: true });
  log('compiling sdk/ and provider/ (tsconfig.package.json)');
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.package.json'], ROOT);

  const distDir = path.join(PACKAGE_DIR, 'dist');
  const closure = computeClosure(distDir);
  for (const asset of copyAssets(distDir, closure.files)) log(`asset ${asset}`);
  if (!fs.existsSync(path.join(PACKAGE_DIR, PROVIDER_ENTRY))) throw new Error(`${PROVIDER_ENTRY} was not emitted: the provider shims could not load it`);
  const missing = closure.packages.filter((p) => !root.dependencies[p]);
  if (missing.length > 0) throw new Error(`the compiled code requires ${missing.join(', ')}, not in the root package.json's dependencies`);
  const pick = (names: string[]) => Object.fromEntries(names.map((p) => [p, root.dependencies[p]]));
  const deps = closure.packages.filter((p) => !PEER_PACKAGES.includes(p) && p !== root.name);
  const peers = closure.packages.filter((p) => PEER_PACKAGES.includes(p));

  const pkg = {
    name: root.name,
    version: root.version,
    description: 'Pulumi resources for Zero-OS workloads on the ThreeFold Grid',
    license: root.license,
    main: 'dist/sdk/index.js',
    types: 'dist/sdk/index.d.ts',
    engines: root.engines,
    files: ['dist', 'schema.json'],
    dependencies: pick(deps),
    // A pinned version becomes a caret range: the user's @pulumi/pulumi, not a second copy, serves the SDK.
    peerDependencies: Object.fromEntries(peers.map((p) => [p, /^\d/.test(root.dependencies[p]) ? `^${root.dependencies[p]}` : root.dependencies[p]])),
  };
  fs.writeFileSync(path.join(PACKAGE_DIR, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  fs.writeFileSync(path.join(PACKAGE_DIR, 'README.md'), README(root.version, [...peers, ...deps]));
  fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(PACKAGE_DIR, 'LICENSE'));
  fs.copyFileSync(path.join(ROOT, 'schema.json'), path.join(PACKAGE_DIR, 'schema.json'));
  log(`${closure.files.length} compiled files; dependencies: ${deps.join(', ')}; peer: ${peers.join(', ')}`);

  const out = run('npm', ['pack', '--json', '--pack-destination', BUILD_DIR], PACKAGE_DIR);
  const packed = z.array(z.object({ filename: z.string(), size: z.number(), unpackedSize: z.number(), entryCount: z.number() })).parse(JSON.parse(out));
  const { filename, size, unpackedSize, entryCount } = packed[0];
  log(`packed ${entryCount} files, ${(size / 1024).toFixed(0)} KiB (${(unpackedSize / 1024).toFixed(0)} KiB unpacked)`);
  // The examples depend on this unversioned copy (`file:../../build/pulumi-tfgrid.tgz`), as a user on a tarball.
  fs.copyFileSync(path.join(BUILD_DIR, filename), STABLE_TARBALL);
  return path.join(BUILD_DIR, filename);
}

if (require.main === module) {
  try {
    process.stdout.write(buildPackage((line) => process.stdout.write(`${line}\n`)) + '\n');
  } catch (err) {
    process.stderr.write(`make package: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
