/**
 * The parts of `npm run walk` (scripts/walk.ts) that decide its figures
 * without a network: the instrumenting transform must reach every kind of
 * function, or the walk silently undercounts, and the summary must count
 * file changes and re-entries as defined. The run itself is loopback I/O
 * and is left to `npm run walk`.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { instrumentSource, walkFigures } from '../../scripts/walk.ts';

const SOURCE = `
function declared() { return 1; }
const expressed = function () { return 2; };
const arrowBlock = () => { return 3; };
const arrowExpr = (): { n: number } => ({ n: 4 });
const curried = (a: number) => (b: number) => a + b;
class Base { constructor(readonly x: number) {} }
class Thing extends Base {
  #v = 0;
  constructor() { super(5); }
  method() { return this.#v; }
  get value() { return this.#v; }
  set value(v: number) { this.#v = v; }
}
declare function bodiless(): void;
export function run() {
  const t = new Thing();
  t.value = 6;
  return [declared(), expressed(), arrowBlock(), arrowExpr().n, curried(1)(2), t.method(), t.value];
}
`;

describe('walk: instrumentSource', () => {
  it('inserts one call in each function kind with a body, and keeps what the code does', () => {
    // Arrange
    const entries: string[] = [];
    const hooks = globalThis as { __walk?: (file: string) => void };
    const js = ts.transpileModule(instrumentSource('functions/x.ts', SOURCE), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const exports: { run?: () => unknown[] } = {};

    // Act
    hooks.__walk = (file) => entries.push(file);
    try {
      new Function('exports', js)(exports);
      const result = exports.run?.();

      // Assess
      expect(result).toEqual([1, 2, 3, 4, 3, 6, 6]);
    } finally {
      delete hooks.__walk;
    }
    // run, Thing's and Base's constructors, the setter, declared, expressed,
    // both arrows, both curried arrows, method, getter: 12; bodiless has none.
    expect(entries).toEqual(Array(12).fill('functions/x.ts'));
  });
});

describe('walk: walkFigures', () => {
  it('counts entries into another file as changes, and re-entries of the watched files', () => {
    // Act
    const f = walkFigures(['a', 'b', 'b', 'a', 'c', 'a', 'a'], ['a', 'b']);

    // Assess
    expect(f).toEqual({
      entries: 7,
      perFile: { a: 4, b: 2, c: 1 },
      fileChanges: 4,
      distinctFiles: 3,
      reentries: { a: 2, b: 1 },
    });
  });
});
