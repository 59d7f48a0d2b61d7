import { describe, expect, it } from 'vitest';
import { DEVICE_FAILURE_CODES, ERROR_CODES } from '../../functions/token-broker/contract.ts';
import { ERROR_CATALOGUE } from '../../functions/token-broker/error-catalogue.ts';
import { ERROR_DOCS } from '../../functions/token-broker/error-docs.ts';
import { renderErrorsTable } from '../../scripts/docs/errors-table.ts';

/** The cells of each row of a markdown table, header and separator dropped. */
const bodyRows = (table: string): string[][] =>
  table
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.trim().replaceAll('\\|', '|')),
    );

describe('renderErrorsTable', () => {
  it('has a header and one row per code, problems first, then per-device failures', () => {
    // Act
    const table = renderErrorsTable();
    // Assess
    const lines = table.split('\n');
    expect(lines[0]?.split('|').map((c) => c.trim())).toEqual([
      '',
      'Code',
      'HTTP status',
      'Title',
      'When',
      'What to do',
      '',
    ]);
    expect(lines[1]).toMatch(/^\| -{3,} \| -{3,} \| -{3,} \| -{3,} \| -{3,} \|$/);
    expect(bodyRows(table).map((cells) => cells[0])).toEqual(
      [...ERROR_CODES, ...Object.values(DEVICE_FAILURE_CODES)].map((code) => `\`${code}\``),
    );
  });

  it('shows each code’s status, title, description and action from the catalogue', () => {
    // Act
    const rows = bodyRows(renderErrorsTable());
    // Assess
    const budget = rows.find((cells) => cells[0] === '`UPSTREAM_BUDGET_EXCEEDED`');
    expect(budget).toEqual([
      '`UPSTREAM_BUDGET_EXCEEDED`',
      '429',
      ERROR_CATALOGUE.UPSTREAM_BUDGET_EXCEEDED.title,
      ERROR_DOCS.UPSTREAM_BUDGET_EXCEEDED.description,
      ERROR_DOCS.UPSTREAM_BUDGET_EXCEEDED.action,
    ]);
    const noToken = rows.find((cells) => cells[0] === '`UPSTREAM_NO_TOKEN`');
    expect(noToken?.[1]).toBe('200, in `failures[]`');
  });

  it('keeps every row, header included, at five cells', () => {
    // Act
    const lines = renderErrorsTable().split('\n');
    // Assess
    const cellCounts = lines.map((line) => line.split(/(?<!\\)\|/).length - 2);
    expect(new Set(cellCounts)).toEqual(new Set([5]));
  });
});
