/**
 * The construct's props repeat each setting's default in their TSDoc
 * (`@default`), as CDK's guidelines ask. This keeps those hand-written lines
 * equal to the settings tables they come from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { propNameOf, SETTINGS, type SettingRow } from '../../functions/token-broker/settings.ts';
import { DEPLOYMENT_SETTINGS } from '../../infra/token-broker-defaults.ts';

const PROPS_SOURCE = readFileSync(
  new URL('../../infra/token-broker-props.ts', import.meta.url),
  'utf8',
);

/** `@default` text of each prop declared in token-broker-props.ts, by prop name. */
function declaredDefaults(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of source.matchAll(/@default ([^\n]+)\n\s*\*\/\n\s*readonly (\w+)\??:/g)) {
    out.set(m[2] as string, (m[1] as string).trim());
  }
  return out;
}

const MS_PER = { millis: 1, seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;

/** A `@default` literal as the value a settings row holds, in the row's unit. */
function literalValue(text: string, row: SettingRow): unknown {
  const duration = /^Duration\.(millis|seconds|minutes|hours)\((\d+)\)$/.exec(text);
  if (duration) {
    const ms = Number(duration[2]) * MS_PER[duration[1] as keyof typeof MS_PER];
    return row.unit === 'ms' ? ms : ms / 1000;
  }
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  const quoted = /^'(.*)'$/.exec(text);
  return quoted ? quoted[1] : text;
}

const rows = Object.entries({ ...SETTINGS, ...DEPLOYMENT_SETTINGS } as Record<string, SettingRow>)
  .map(([field, row]) => ({ field, row, prop: propNameOf(field, row) }))
  .filter(({ row, prop }) => prop !== undefined && row.default !== undefined);

describe('the props’ @default lines', () => {
  it('name a default for every setting that has one', () => {
    // Prepare
    const declared = declaredDefaults(PROPS_SOURCE);
    // Act
    const missing = rows.filter(({ prop }) => !declared.has(prop as string)).map((r) => r.prop);
    // Assess
    expect(missing).toEqual([]);
  });

  // A `@default - …` line describes a default in words (CDK's convention), so
  // only literal defaults are compared.
  const literal = rows.filter(
    ({ prop }) => !(declaredDefaults(PROPS_SOURCE).get(prop as string) ?? '').startsWith('- '),
  );

  it.each(literal)('state the table’s default for $prop', ({ row, prop }) => {
    // Prepare
    const text = declaredDefaults(PROPS_SOURCE).get(prop as string) ?? '';
    // Act
    const stated = literalValue(text, row);
    // Assess
    expect(stated).toEqual(row.default);
  });

  it('fails when a @default line disagrees with its row', () => {
    // Prepare
    const edited = PROPS_SOURCE.replace('@default 50\n', '@default 51\n');
    const row = SETTINGS.maxDevicesPerRequest as SettingRow;
    // Act
    const stated = literalValue(declaredDefaults(edited).get('maxDevicesPerRequest') ?? '', row);
    // Assess
    expect(stated).not.toEqual(row.default);
  });
});
