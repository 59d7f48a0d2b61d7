/**
 * The errors table of the docs, rendered from the error catalogue and its
 * prose (error-docs.ts) so that it
 * cannot drift from the code. The docs generator (`scripts/docs.ts`) writes
 * it into `docs/api.md`; a test checks it.
 */
import { DEVICE_FAILURE_CODES, ERROR_CODES } from '../../functions/token-broker/contract.ts';
import { ERROR_CATALOGUE } from '../../functions/token-broker/error-catalogue.ts';
import { ERROR_DOCS } from '../../functions/token-broker/error-docs.ts';
import { markdownTable } from './markdown-table.ts';

/** Header row of the table. */
const HEADER = ['Code', 'HTTP status', 'Title', 'When', 'What to do'] as const;

/**
 * The markdown table of every code the broker answers with: first the codes
 * a whole request fails with (problem+json, or a direct invocation's error),
 * in the contract's order, then the per-device codes found in `failures[]`
 * of a 200 answer.
 */
export function renderErrorsTable(): string {
  const problems = ERROR_CODES.map((code) => {
    const entry = { ...ERROR_CATALOGUE[code], ...ERROR_DOCS[code] };
    return [`\`${code}\``, String(entry.status), entry.title, entry.description, entry.action];
  });
  const failures = Object.values(DEVICE_FAILURE_CODES).map((code) => {
    const entry = { ...ERROR_CATALOGUE[code], ...ERROR_DOCS[code] };
    return [`\`${code}\``, '200, in `failures[]`', entry.title, entry.description, entry.action];
  });
  return markdownTable(HEADER, [...problems, ...failures]);
}
