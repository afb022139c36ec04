/**
 * Every `tfgrid …` command named in a hint, error text, comment or README names a command that exists (issue
 * 18.10: a timeout suggested `tfgrid zos deployment get` when there was none). The names are collected from the
 * sources, each is walked down the real command tree and its `--help` must parse.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { buildProgram } from './main';
import { runCli } from '../test/helpers/run-cli';

const ROOT = path.resolve(__dirname, '..');
const SOURCE_DIRS = ['protocol', 'node', 'provider', 'sdk', 'local', 'cli', 'scripts', 'bin'];

function files(dir: string, keep: (f: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : files(p, keep);
    return keep(p) ? [p] : [];
  });
}

/** `tfgrid a b c` after a backtick or parenthesis, or at the start of an indented README command line. */
const MENTION = /(?:[`(]|^[ \t]+(?:\$ )?)tfgrid((?: [a-z][a-z0-9-]*)+)/gm;

function mentions(): Map<string, string[]> {
  const sources = [
    ...SOURCE_DIRS.flatMap((d) => files(path.join(ROOT, d), (f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts'))),
    ...files(path.join(ROOT, 'bin'), () => true),
    path.join(ROOT, 'README.md'),
    ...files(path.join(ROOT, 'docs'), (f) => f.endsWith('.md')),
    ...files(path.join(ROOT, 'examples'), (f) => f.endsWith('README.md')),
  ];
  const out = new Map<string, string[]>();
  for (const file of sources) {
    if (!fs.existsSync(file)) continue;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(MENTION)) {
      const words = m[1].trim();
      out.set(words, [...(out.get(words) ?? []), path.relative(ROOT, file)]);
    }
  }
  return out;
}

/** The command path a mention names (its remaining words are arguments), or why it names none. */
function resolve(program: Command, words: string[]): { path: string[] } | { error: string } {
  let cmd = program;
  const at: string[] = [];
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) {
      cmd = sub;
      at.push(w);
      continue;
    }
    if (cmd === program) return { error: `no command "${w}"` };
    if (cmd.commands.length > 0) return { error: `"tfgrid ${at.join(' ')}" has no subcommand "${w}"` };
    break;
  }
  return { path: at };
}

describe('hints name commands that exist', () => {
  const found = mentions();

  it('finds the hints (the collector itself works)', () => {
    expect(found.size).toBeGreaterThan(10);
    expect([...found.keys()]).toEqual(expect.arrayContaining(['local up', 'zos deployment get']));
  });

  it('walks every mentioned command down the real command tree', () => {
    const program = buildProgram();
    const bad = [...found.entries()]
      .map(([words, where]) => ({ words, where, r: resolve(program, words.split(' ')) }))
      .filter((x) => 'error' in x.r)
      .map((x) => `tfgrid ${x.words} (${[...new Set(x.where)].join(', ')}): ${'error' in x.r ? x.r.error : ''}`);
    expect(bad).toEqual([]);
  });

  it('parses --help of every mentioned command', async () => {
    const program = buildProgram();
    const paths = new Set<string>();
    for (const words of found.keys()) {
      const r = resolve(program, words.split(' '));
      if ('path' in r && r.path.length > 0) paths.add(r.path.join(' '));
    }
    for (const p of paths) {
      const r = await runCli([...p.split(' '), '--help']);
      expect({ p, code: r.code }).toEqual({ p, code: 0 });
      expect(r.out).toContain(`Usage: tfgrid ${p}`);
    }
  });
});
