/**
 * The project's structural limits, measured with the TypeScript compiler
 * API: no import circle (relative imports, type-only ones included, since a
 * type import still ties two files' designs together), no function over
 * {@link MAX_FUNCTION_LINES} lines and no file over {@link MAX_FILE_LINES}
 * lines, under {@link STRUCTURE_ROOTS}. `node scripts/structure.ts` prints
 * today's offenders; test/structure.test.ts holds them to an allowlist.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Most lines of one function, its signature and closing brace included. */
export const MAX_FUNCTION_LINES = 80;
/** Most lines of one file. */
export const MAX_FILE_LINES = 300;
/** The folders the limits apply to, relative to the project root. */
export const STRUCTURE_ROOTS = ['functions', 'infra', 'clients'] as const;

/** The project root. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** One function over the limit. `name` is its path of enclosing names, e.g. `createRuntime/run`. */
export interface FunctionSize {
  readonly file: string;
  readonly name: string;
  readonly lines: number;
}

/** One file over the limit. */
export interface FileSize {
  readonly file: string;
  readonly lines: number;
}

/** What {@link measureStructure} finds. */
export interface StructureReport {
  /** Functions over {@link MAX_FUNCTION_LINES}. */
  readonly longFunctions: FunctionSize[];
  /** Files over {@link MAX_FILE_LINES}. */
  readonly longFiles: FileSize[];
  /** Each import circle as its files, sorted, joined by ` ↔ `. */
  readonly circles: string[];
}

/** Every `.ts` file under `roots`, as paths relative to `root`, with `/` separators. */
export function sourceFiles(root: string, roots: readonly string[] = STRUCTURE_ROOTS): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) found.push(rel);
    }
  };
  for (const dir of roots) walk(dir);
  return found.sort();
}

const lineOf = (source: ts.SourceFile, pos: number) =>
  source.getLineAndCharacterOfPosition(pos).line;

/** The name a function is known by: its own, its variable's or property's, else `<anonymous>`. */
function ownName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) &&
    ts.isIdentifier(parent.name)
  ) {
    return parent.name.text;
  }
  if (ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '<anonymous>';
}

/** Every function of one file with its size, nested ones named through their parents. */
export function functionSizes(file: string, text: string): FunctionSize[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sizes: FunctionSize[] = [];
  const visit = (node: ts.Node, trail: readonly string[]) => {
    let next = trail;
    if (ts.isClassLike(node)) next = [...trail, node.name?.text ?? '<class>'];
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      next = [...trail, ownName(node as ts.FunctionLikeDeclaration)];
      const lines = lineOf(source, node.end) - lineOf(source, node.getStart(source)) + 1;
      sizes.push({ file, name: next.join('/'), lines });
    }
    ts.forEachChild(node, (child) => visit(child, next));
  };
  visit(source, []);
  // Two anonymous functions in one parent would share a name: number them.
  const seen = new Map<string, number>();
  return sizes.map((s) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return n === 1 ? s : { ...s, name: `${s.name}#${n}` };
  });
}

/** The relative module specifiers of one file: imports, re-exports and literal `import()`s. */
export function relativeImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    const spec =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
        ? node.moduleSpecifier.text
        : ts.isCallExpression(node) &&
            node.expression.kind === ts.SyntaxKind.ImportKeyword &&
            node.arguments[0] !== undefined &&
            ts.isStringLiteral(node.arguments[0])
          ? node.arguments[0].text
          : undefined;
    if (spec?.startsWith('.')) {
      found.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The strongly connected parts of a graph with more than one file, or a file importing itself. */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  // Tarjan's algorithm; the graphs are a few hundred files, so recursion is fine.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const part: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      part.push(w);
    } while (w !== v);
    if (part.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(part.sort().join(' ↔ '));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return circles.sort();
}

/** Measures the files under `roots` of `root`. */
export function measureStructure(
  root: string = PROJECT_ROOT,
  roots: readonly string[] = STRUCTURE_ROOTS,
): StructureReport {
  const longFunctions: FunctionSize[] = [];
  const longFiles: FileSize[] = [];
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root, roots)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES) longFiles.push({ file, lines });
    longFunctions.push(...functionSizes(file, text).filter((f) => f.lines > MAX_FUNCTION_LINES));
    graph.set(file, relativeImports(file, text));
  }
  return { longFunctions, longFiles, circles: importCircles(graph) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { longFunctions, longFiles, circles } = measureStructure();
  const rows = [
    ...longFunctions.map((f) => `function ${f.file} ${f.name}: ${f.lines} lines`),
    ...longFiles.map((f) => `file     ${f.file}: ${f.lines} lines`),
    ...circles.map((c) => `circle   ${c}`),
  ];
  console.log(rows.length === 0 ? 'structure: no offender' : rows.join('\n'));
}
