/**
 * How often names are spelled as string literals in the shipped source
 * (functions/, infra/, clients/, bin/, scripts/), comments left out: issue
 * 12's "one source of truth" rule, checked for env var names and error codes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const SOURCE_DIRS = ['functions', 'infra', 'clients', 'bin', 'scripts'] as const;
const ROOT = path.resolve(import.meta.dirname, '../..');

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return files(file);
    return /\.(ts|mjs|js)$/.test(name) ? [file] : [];
  });

/** Each name with the number of times it appears quoted ('…', "…" or `…`) in code. */
export function literalCounts(names: readonly string[]): Array<[string, number]> {
  // Comments may name a value in a code span; only code counts.
  const sources = SOURCE_DIRS.flatMap((d) => files(path.join(ROOT, d))).map((f) =>
    readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, ''),
  );
  return names.map((name) => {
    const literal = new RegExp(`['"\`]${name}['"\`]`, 'g');
    return [name, sources.reduce((n, text) => n + (text.match(literal)?.length ?? 0), 0)];
  });
}
