/**
 * `npm run docs`: rewrites the generated sections of docs/*.md, between
 * `<!-- BEGIN GENERATED: <name> (npm run docs) -->` and
 * `<!-- END GENERATED: <name> -->`. `npm run docs -- --check` changes
 * nothing and fails when a section has drifted (a test runs it too).
 *
 * A section is one line in {@link SECTIONS}: a name and a function that
 * renders its Markdown.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderClientSize } from './docs/client-size.ts';
import { renderCostEstimate } from './docs/cost-estimate.ts';
import { renderErrorsTable } from './docs/errors-table.ts';
import { renderConstructProps, renderSettingsTable } from './docs/settings-table.ts';

/** The generated sections, by marker name. */
export const SECTIONS: Readonly<Record<string, () => string>> = {
  settings: () => renderSettingsTable(),
  'construct-props': () => renderConstructProps(),
  errors: () => renderErrorsTable(),
  'client-size': () => renderClientSize(),
  'cost-estimate': () => renderCostEstimate(),
};

/** The docs folder. */
export const DOCS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs');

const MARKER =
  /<!-- BEGIN GENERATED: ([\w-]+) \(npm run docs\) -->\n[\s\S]*?<!-- END GENERATED: \1 -->/g;

/**
 * Replaces every generated section of one document.
 * @throws Error naming a section that has no renderer.
 */
export function renderDocument(
  text: string,
  sections: Readonly<Record<string, () => string>> = SECTIONS,
): string {
  return text.replace(MARKER, (_match, name: string) => {
    const render = sections[name];
    if (render === undefined) {
      throw new Error(`No renderer for the generated section "${name}" (scripts/docs.ts SECTIONS)`);
    }
    return `<!-- BEGIN GENERATED: ${name} (npm run docs) -->\n${render().trimEnd()}\n<!-- END GENERATED: ${name} -->`;
  });
}

/** The documents whose generated sections differ from what they would be now. */
export async function driftedDocuments(
  dir: string = DOCS_DIR,
  sections: Readonly<Record<string, () => string>> = SECTIONS,
  write = false,
): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.md')).sort();
  const drifted: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const text = await readFile(file, 'utf8');
    const next = renderDocument(text, sections);
    if (next === text) continue;
    drifted.push(name);
    if (write) await writeFile(file, next);
  }
  return drifted;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const check = process.argv.includes('--check');
  const drifted = await driftedDocuments(DOCS_DIR, SECTIONS, !check);
  if (check && drifted.length > 0) {
    console.error(
      `Generated docs are out of date in ${drifted.map((n) => `docs/${n}`).join(', ')}: run npm run docs`,
    );
    process.exitCode = 1;
  } else {
    console.log(
      drifted.length === 0
        ? 'docs: generated sections are up to date'
        : `docs: rewrote ${drifted.join(', ')}`,
    );
  }
}
