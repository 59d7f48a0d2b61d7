/**
 * The error codes the docs name are the ones the broker answers with. A
 * code given with its status (`500 CONFIGURATION_ERROR`) or after "answers",
 * "gives" or "gets" must be in the catalogue, with that status. And for the
 * cases below, every passage of the docs about the case names only the code
 * the handler really answers it with: docs/deploy.md once said the deploy's
 * placeholder secret answers `UPSTREAM_REJECTED`, a catalogue code, but not
 * the one for that case.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { ERROR_CATALOGUE } from '../../functions/token-broker/error-catalogue.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { SECRET_PLACEHOLDER_USER_NAME } from '../../functions/token-broker/secret-placeholder.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource } from '../support/fakes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CATALOGUE: Readonly<Record<string, { readonly kind: string; readonly status?: number }>> =
  ERROR_CATALOGUE;

/** README.md and docs/*.md, by path. */
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((n) => `docs/${n}`)]
  .filter((page) => page.endsWith('.md'))
  .map((page) => ({ page, text: readFileSync(join(ROOT, page), 'utf8') }));

/**
 * The passages of a page: paragraphs, with each list item and each table row
 * a passage of its own, so a statement is judged with its own sentence.
 */
function passagesOf(text: string): string[] {
  const passages: string[] = [];
  let current: string[] = [];
  const end = () => {
    if (current.length > 0) passages.push(current.join(' '));
    current = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s*([-*]|\d+\.)\s/.test(line) || line.startsWith('|')) end();
    if (line.trim() !== '') current.push(line.trim());
    if (line.startsWith('|')) end();
  }
  end();
  return passages;
}

/** The catalogue codes a passage names in backticks. */
const codesIn = (passage: string) =>
  [...passage.matchAll(/`(?:\d{3} )?([A-Z][A-Z_]+)`/g)]
    .map((m) => m[1] ?? '')
    .filter((code) => code in CATALOGUE);

describe('error codes named in the docs', () => {
  it('are catalogue codes, with the catalogue’s status where one is given', () => {
    // Prepare
    const wrong: string[] = [];
    // Act
    for (const { page, text } of PAGES) {
      for (const [, status, code = ''] of text.matchAll(/`(\d{3}) ([A-Z][A-Z_]+)`/g)) {
        const entry = CATALOGUE[code];
        if (entry?.status !== Number(status)) wrong.push(`${page}: ${status} ${code}`);
      }
      for (const [, code = ''] of text.matchAll(/\b(?:answers|gives|gets) `([A-Z][A-Z_]+)`/g)) {
        if (!(code in CATALOGUE)) wrong.push(`${page}: ${code}`);
      }
    }
    // Assess
    expect(wrong).toEqual([]);
  });
});

/** Cases the docs describe, how to tell a passage about each, and the secret that plays it. */
const CASES = [
  {
    name: 'the deploy’s placeholder secret',
    about: [/placeholder|REPLACE-WITH-/],
    secret: JSON.stringify({ userName: SECRET_PLACEHOLDER_USER_NAME, password: 'generated-pw' }),
  },
  {
    name: 'a secret that is not JSON',
    about: [/secret/i, /not (valid )?JSON/],
    secret: 'userName=a',
  },
] as const;

/** The code the handler answers a token request with, given `secret`. */
async function answeredCode(secret: string): Promise<string> {
  const config = loadConfig({ SECRET_ID: 'docs', UPSTREAM_URL: 'https://gateway.example.invalid' });
  const { handler } = createRuntime(config, {
    secretSource: fakeSecretSource(secret),
    logger: captureLogger(),
    metrics: NO_METRICS,
  });
  const response = (await handler(
    httpApiEvent({ body: { devices: [{ productKey: 'pkA', deviceName: 'dev1' }] } }),
    lambdaContext(),
  )) as HttpResponse;
  return JSON.parse(response.body).code;
}

describe.each(CASES)('the docs about $name', ({ about, secret }) => {
  it('name only the code the handler answers it with', async () => {
    // Prepare
    const actual = await answeredCode(secret);
    // Act
    const named = PAGES.flatMap(({ page, text }) =>
      passagesOf(text)
        .filter((passage) => about.every((pattern) => pattern.test(passage)))
        .flatMap((passage) => codesIn(passage).map((code) => `${page}: ${code}`)),
    );
    // Assess
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((entry) => !entry.endsWith(`: ${actual}`))).toEqual([]);
  });
});
