import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { computeClosure, packageName, requiresOf } from './package-closure';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function dist(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgrid-closure-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('the package closure (make package)', () => {
  it('lists the npm packages the compiled code requires, without builtins or its own files', () => {
    const dir = dist({
      'sdk/index.js': 'const p = require("@pulumi/pulumi"); const c = require("../provider/config"); require("fs"); require("node:path");',
      'provider/config.js': 'const z = require("zod"); const a = require("@polkadot/api/types"); require("./x");',
      'provider/x/index.js': 'require(process.env.X || "pulumi-tfgrid/dist/provider/dynamic-entry");',
    });
    expect(computeClosure(dir)).toEqual({ packages: ['@polkadot/api', '@pulumi/pulumi', 'zod'], files: ['provider/config.js', 'provider/x/index.js', 'sdk/index.js'] });
  });

  it('fails when the provider reaches the local grid, the node runtime, the CLI or tests', () => {
    const dir = dist({ 'provider/grid-connection.js': 'const s = require("../local/grid/state");', 'local/grid/state.js': '', 'node/runtime.js': 'require("../test/x")' });
    const text = (() => {
      try {
        computeClosure(dir);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(text).toContain('local/grid/state.js: local/ must not be in the package');
    expect(text).toContain('node/runtime.js: node/ must not be in the package');
    expect(text).toContain('node/runtime.js: requires ../test/x (test/ is above the provider layer)');
    expect(text).toContain('provider/grid-connection.js: requires ../local/grid/state (local/ is above the provider layer)');
  });

  it('fails on a require of a file that was not compiled into the package', () => {
    expect(() => computeClosure(dist({ 'sdk/index.js': 'require("./missing")' }))).toThrow('sdk/index.js: requires ./missing, which was not emitted');
    expect(() => computeClosure(dist({ 'sdk/index.js': 'require("../../outside")' }))).toThrow('outside the package');
  });

  it('names packages by scope and name', () => {
    expect(packageName('@polkadot/util-crypto/x')).toBe('@polkadot/util-crypto');
    expect(packageName('google-protobuf/google/protobuf/struct_pb')).toBe('google-protobuf');
    expect(requiresOf(`a = require('x'); b = require( "y/z" ); c = notrequire("q")`)).toEqual(['x', 'y/z']);
  });
});
