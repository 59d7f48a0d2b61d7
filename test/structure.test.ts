/**
 * The structural limits of issue 16, under functions/, infra/ and clients/:
 * no import circle, no function over 80 lines, no file over 300 lines
 * (scripts/structure.ts measures them). The core is still being reshaped,
 * so today's offenders are listed below; the list may only shrink.
 */
import { describe, expect, test } from 'vitest';
import {
  type FileSize,
  type FunctionSize,
  functionSizes,
  importCircles,
  MAX_FILE_LINES,
  MAX_FUNCTION_LINES,
  measureStructure,
  relativeImports,
} from '../scripts/structure.ts';

/*
 * Today's offenders, each with its size when it was listed. The test fails on
 * an offender not listed here, on a listed one that grew, and on a listed one
 * that is no longer an offender: shrink an entry's size as its code shrinks,
 * and delete it once it is within the limit. Never add one.
 */

/** Functions over 80 lines: file, name (enclosing names joined by `/`), lines. */
const ALLOWED_FUNCTIONS: readonly FunctionSize[] = [];

/** Files over 300 lines. */
const ALLOWED_FILES: readonly FileSize[] = [];

/** Import circles, as their files sorted and joined by ` ↔ `. None is left: keep it so. */
const ALLOWED_CIRCLES: readonly string[] = [];

const report = measureStructure();

/** The entries of `found` that `allowed` does not list, or lists with fewer lines. */
function beyondAllowlist<T extends { readonly file: string; readonly lines: number }>(
  found: readonly T[],
  allowed: readonly T[],
  same: (a: T, b: T) => boolean,
): { fresh: T[]; grown: string[]; stale: T[] } {
  const listed = (f: T) => allowed.find((a) => same(a, f));
  return {
    fresh: found.filter((f) => listed(f) === undefined),
    grown: found.flatMap((f) => {
      const entry = listed(f);
      return entry !== undefined && f.lines > entry.lines
        ? [`${JSON.stringify(entry)} is now ${f.lines} lines`]
        : [];
    }),
    stale: allowed.filter((a) => !found.some((f) => same(a, f))),
  };
}

const sameFunction = (a: FunctionSize, b: FunctionSize) => a.file === b.file && a.name === b.name;
const sameFile = (a: FileSize, b: FileSize) => a.file === b.file;

describe('structure: functions', () => {
  test(`no function is over ${MAX_FUNCTION_LINES} lines but the listed ones, and none grew`, () => {
    // Act
    const { fresh, grown } = beyondAllowlist(report.longFunctions, ALLOWED_FUNCTIONS, sameFunction);

    // Assess
    expect(fresh, 'new functions over the limit: split them').toEqual([]);
    expect(grown, 'listed functions that grew').toEqual([]);
  });

  test('fails when a listed function is within the limit: delete or shrink its entry', () => {
    // Act
    const { stale } = beyondAllowlist(report.longFunctions, ALLOWED_FUNCTIONS, sameFunction);

    // Assess
    expect(stale, 'listed functions that are no longer offenders').toEqual([]);
  });
});

describe('structure: files', () => {
  test(`no file is over ${MAX_FILE_LINES} lines but the listed ones, and none grew`, () => {
    // Act
    const { fresh, grown } = beyondAllowlist(report.longFiles, ALLOWED_FILES, sameFile);

    // Assess
    expect(fresh, 'new files over the limit: split them').toEqual([]);
    expect(grown, 'listed files that grew').toEqual([]);
  });

  test('fails when a listed file is within the limit: delete or shrink its entry', () => {
    // Act
    const { stale } = beyondAllowlist(report.longFiles, ALLOWED_FILES, sameFile);

    // Assess
    expect(stale, 'listed files that are no longer offenders').toEqual([]);
  });
});

describe('structure: import circles', () => {
  test('no import circle but the listed ones', () => {
    // Act
    const fresh = report.circles.filter((c) => !ALLOWED_CIRCLES.includes(c));

    // Assess
    expect(fresh, 'new import circles').toEqual([]);
  });

  test('fails when a listed circle is gone: delete its entry', () => {
    // Act
    const stale = ALLOWED_CIRCLES.filter((c) => !report.circles.includes(c));

    // Assess
    expect(stale, 'listed circles that no longer exist').toEqual([]);
  });
});

describe('structure: the measures themselves', () => {
  test('counts a function from its first line to its last, naming nested ones by their parents', () => {
    // Prepare
    const text = [
      '/** doc */',
      'export function outer() {',
      '  const inner = () => {',
      '    return 1;',
      '  };',
      '  return inner;',
      '}',
      'class Box {',
      '  get size() { return 1; }',
      '}',
    ].join('\n');

    // Act
    const sizes = functionSizes('x.ts', text);

    // Assess
    expect(sizes).toEqual([
      { file: 'x.ts', name: 'outer', lines: 6 },
      { file: 'x.ts', name: 'outer/inner', lines: 3 },
      { file: 'x.ts', name: 'Box/size', lines: 1 },
    ]);
  });

  test('follows relative imports, type-only ones and re-exports included, and nothing else', () => {
    // Prepare
    const text = [
      "import type { A } from './a.ts';",
      "import { b } from '../b.ts';",
      "export { c } from './sub/c.ts';",
      "import { d } from 'node:path';",
      "const e = await import('./e.ts');",
    ].join('\n');

    // Act
    const found = relativeImports('functions/local/x.ts', text);

    // Assess
    expect(found).toEqual([
      'functions/local/a.ts',
      'functions/b.ts',
      'functions/local/sub/c.ts',
      'functions/local/e.ts',
    ]);
  });

  test('finds a circle through three files, and none in a chain', () => {
    // Prepare
    const circle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    const chain = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', []],
    ]);

    // Act
    const found = [importCircles(circle), importCircles(chain)];

    // Assess
    expect(found).toEqual([['a.ts ↔ b.ts ↔ c.ts'], []]);
  });
});
