/**
 * Markdown tables for the generated doc sections, padded as the formatter
 * (`npm run format`, Biome) writes them, so that formatting a generated doc
 * changes nothing and the drift check and the formatter never fight.
 */

/** A table cell: pipes escaped and line breaks folded, so a cell never breaks its row. */
export const cell = (text: string): string => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

/** A Markdown table with padded columns. */
export function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const body = [head, ...rows].map((r) => r.map(cell));
  const widths = head.map((_, i) => Math.max(3, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    `| ${widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ')} |`;
  const [first = [], ...rest] = body;
  return [
    line(first),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rest.map(line),
  ].join('\n');
}
