import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConstructProps, renderSettingsTable } from '../../scripts/docs/settings-table.ts';
import { DOCS_DIR, driftedDocuments, renderDocument, SECTIONS } from '../../scripts/docs.ts';

const section = (name: string, body: string) =>
  `<!-- BEGIN GENERATED: ${name} (npm run docs) -->\n${body}\n<!-- END GENERATED: ${name} -->`;

describe('generated docs', () => {
  it('every generated section in docs/ is up to date (npm run docs)', async () => {
    // Act
    const drifted = await driftedDocuments(DOCS_DIR);

    // Assess
    expect(drifted).toEqual([]);
  });

  it('rewrites only what lies between the markers', () => {
    // Prepare
    const text = `# Title\n\nbefore\n\n${section('settings', 'stale')}\n\nafter\n`;

    // Act
    const next = renderDocument(text);

    // Assess
    expect(next).toBe(
      `# Title\n\nbefore\n\n${section('settings', renderSettingsTable())}\n\nafter\n`,
    );
  });

  it('plugs in a section with one registry line', () => {
    // Prepare
    const sections = { ...SECTIONS, errors: () => '| code |' };

    // Act
    const next = renderDocument(section('errors', ''), sections);

    // Assess
    expect(next).toBe(section('errors', '| code |'));
  });

  it('fails when a section has no renderer, naming it', () => {
    // Prepare
    const text = section('nonsense', '');

    // Act
    const act = () => renderDocument(text);

    // Assess
    expect(act).toThrow('No renderer for the generated section "nonsense"');
  });
});

/** The rows of a rendered Markdown table, as trimmed cells. */
const rowsOf = (markdown: string) =>
  markdown.split('\n').map((line) =>
    line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim()),
  );

/** The text as the project's formatter (biome, which formats Markdown) writes it. */
const formatted = (markdown: string) =>
  execFileSync(
    path.resolve(import.meta.dirname, '../../node_modules/.bin/biome'),
    ['format', '--stdin-file-path=generated.md'],
    { input: markdown, encoding: 'utf8' },
  );

describe('rendered tables', () => {
  it.each(Object.entries(SECTIONS))('%s is already as the formatter writes it', (_name, render) => {
    // Prepare
    const markdown = `# Generated\n\n${render()}\n`;

    // Act
    const reformatted = formatted(markdown);

    // Assess
    expect(reformatted).toBe(markdown);
  });
});

describe('construct-props section', () => {
  it('lists every prop with its type, default and context key', () => {
    // Act
    const rows = rowsOf(renderConstructProps()).map((r) => r.slice(0, 4));

    // Assess
    expect(rows).toEqual(
      expect.arrayContaining([
        ['`upstreamUrl`', '`string`', 'required', '`upstreamUrl`'],
        ['`secretCache`', '`Duration`', '`Duration.seconds(300)`', '`secretCacheSeconds`'],
        ['`upstreamTimeout`', '`Duration`', '`Duration.millis(3000)`', '`upstreamTimeoutMs`'],
        ['`reservedConcurrentExecutions`', '`number`', '10', '`reservedConcurrentExecutions`'],
        ['`alarmTopic`', '`ITopic`', 'alarms are created without actions', '`alarmTopicArn`'],
        ['`secret`', '`ISecret`', expect.any(String), '—'],
        // The construct's own table prop, not the variable the construct sets from it.
        ['`tokenTable`', '`ITable`', expect.any(String), '—'],
      ]),
    );
    expect(rows.flat()).not.toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^`(SECRET_ID|secretId|TOKEN_TABLE|tokenStoreKeySecretId)`$/),
      ]),
    );
    expect(rows.filter((r) => r[0] === '`tokenTable`')).toHaveLength(1);
  });
});
