/**
 * The operator docs that describe the template, held to it: the access log
 * fields of docs/operations.md and the teardown table of docs/deploy.md
 * (each resource's DeletionPolicy).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { synthStack } from './support.ts';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** The rows of the first Markdown table after `heading`, as cells. */
function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The code spans of a cell: `a`, `b` → [a, b]. */
const codes = (cell: string | undefined) =>
  [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('docs/operations.md: access log fields', () => {
  test('lists exactly the fields and variables the stage’s access log format writes', () => {
    // Prepare
    const { template } = synthStack();
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format) as Record<string, string>;

    // Act
    const documented = tableAfter(doc('operations.md'), '### Access logs').map(
      ([field, variable]) => [codes(field)[0], codes(variable)[0]],
    );

    // Assess
    expect(Object.fromEntries(documented)).toEqual(format);
    expect(documented.map(([field]) => field)).toEqual(Object.keys(format));
  });

  test('names the personal data the format writes: the source IP and the caller’s sub', () => {
    // Prepare
    const text = doc('operations.md');

    // Act
    const note = text.slice(text.indexOf('**Personal data.**'), text.indexOf('## Metrics'));

    // Assess
    expect(note).toContain('`ip` and `sub`');
    expect(note).toContain('logRetention');
  });
});

describe('docs/deploy.md: teardown', () => {
  // With CDK's version reporting on, as `cdk deploy` synthesises, so AWS::CDK::Metadata is there.
  const { template } = synthStack({ 'aws:cdk:version-reporting': true });
  const resources = Object.values(template.toJSON().Resources) as Array<{
    Type: string;
    DeletionPolicy?: string;
  }>;
  const documented = tableAfter(doc('deploy.md'), '## Teardown').flatMap(([types, policy]) =>
    codes(types)
      .filter((t) => t?.startsWith('AWS::'))
      .map((type) => ({ type, policy: codes(policy)[0] ?? 'none' })),
  );

  test('lists every resource type of the default stack, and none it lacks', () => {
    // Act
    const inTemplate = [...new Set(resources.map((r) => r.Type))].sort();

    // Assess
    expect(documented.map((d) => d.type).sort()).toEqual(inTemplate);
  });

  const policies = [...new Set(resources.map((r) => `${r.Type} ${r.DeletionPolicy ?? 'none'}`))];
  test.each(policies.map((p) => p.split(' ') as [string, string]))(
    'gives %s the DeletionPolicy of the template (%s)',
    (type, policy) => {
      // Act
      const row = documented.find((d) => d.type === type);

      // Assess
      expect(row?.policy).toBe(policy);
    },
  );
});
