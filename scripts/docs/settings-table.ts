/**
 * Markdown tables rendered from the settings tables: the configuration table
 * (docs/configuration.md) and the construct's props table (docs/deploy.md).
 * Each renderer takes the tables as a parameter, the real ones by default.
 */

import { SETTING_DEFAULT_TEXT, SETTING_DOCS } from '../../functions/token-broker/setting-docs.ts';
import {
  contextKeyOf,
  propNameOf,
  SETTINGS,
  type SettingRow,
  type SettingsTable,
} from '../../functions/token-broker/settings.ts';
import { DEPLOYMENT_SETTINGS } from '../../infra/token-broker-defaults.ts';
import { markdownTable } from './markdown-table.ts';

/** A setting's sentence: the function's from setting-docs.ts, infra's from its row. */
const describe = (field: string, row: SettingRow): string =>
  (isFunctionRow(field, row)
    ? (SETTING_DOCS as Readonly<Record<string, string>>)[field]
    : undefined) ??
  row.description ??
  '';

/** Whether `row` is the function's own row of `field` (infra's table reuses some field names). */
const isFunctionRow = (field: string, row: SettingRow) =>
  (SETTINGS as SettingsTable)[field] === row;

/** The row as the docs see it: with the function's default texts from setting-docs.ts. */
const documented = (field: string, row: SettingRow): SettingRow => {
  if (!isFunctionRow(field, row)) return row;
  const text = (SETTING_DEFAULT_TEXT as Readonly<Record<string, string>>)[field];
  return text === undefined ? row : { ...row, defaultText: text };
};

const code = (s: string) => `\`${s}\``;
const UNIT_LABEL = { seconds: 's', ms: 'ms' } as const;

function withUnit(row: SettingRow, n: number): string {
  return row.kind === 'duration' && row.unit ? `${n} ${UNIT_LABEL[row.unit]}` : String(n);
}

/** The default as the configuration table states it, in the row's unit. */
function defaultInUnit(row: SettingRow): string {
  if (row.defaultText !== undefined) return row.defaultText;
  if (row.setByConstruct) return row.required ? 'required; the construct sets it' : 'unset';
  if (row.required) return 'required';
  const d = row.default;
  if (d === undefined) return 'unset';
  if (typeof d === 'number') return withUnit(row, d);
  if (Array.isArray(d)) return d.length === 0 ? 'none' : code(d.join(','));
  return code(String(d));
}

function range(row: SettingRow): string {
  if (row.kind === 'enum') return (row.values ?? []).map(code).join(', ');
  if (row.kind === 'boolean') return '`true`, `false`';
  if (row.min === undefined && row.max === undefined) return '';
  return `${withUnit(row, row.min ?? 0)} – ${withUnit(row, row.max ?? Number.MAX_SAFE_INTEGER)}`;
}

/** The TypeScript type of a row's construct prop. */
function propType(row: SettingRow): string {
  if (row.propType !== undefined) return row.propType;
  switch (row.kind) {
    case 'duration':
      return 'Duration';
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'list':
      return 'string[]';
    case 'map':
      return 'Record<string, string>';
    case 'enum':
      return (row.values ?? []).map((v) => `'${v}'`).join(' | ');
    case 'cdk':
    case 'arn':
      return 'unknown';
    default:
      return 'string';
  }
}

/** The default as a prop states it: a time as a `Duration`. */
function propDefault(row: SettingRow): string {
  if (row.kind === 'duration' && typeof row.default === 'number' && row.defaultText === undefined) {
    return code(`Duration.${row.unit === 'ms' ? 'millis' : 'seconds'}(${row.default})`);
  }
  return defaultInUnit(row);
}

/**
 * The configuration table: one line per function setting, with its env var,
 * prop and context key, kind, default, range and description.
 */
export function renderSettingsTable(settings: SettingsTable = SETTINGS): string {
  const rows = Object.entries(settings)
    .filter(([, row]) => row.env !== undefined)
    .map(([field, given]) => {
      const row = documented(field, given);
      const prop = propNameOf(field, row);
      const key = contextKeyOf(field, row);
      return [
        code(row.env as string),
        prop === undefined ? '—' : code(prop),
        key === undefined ? '—' : code(key),
        row.kind === 'duration' ? `duration (${UNIT_LABEL[row.unit ?? 'seconds']})` : row.kind,
        defaultInUnit(row),
        range(row),
        describe(field, given),
      ];
    });
  return markdownTable(
    ['Env var', 'Prop', 'Context key', 'Kind', 'Default', 'Range', 'Description'],
    rows,
  );
}

/**
 * The construct's props table: every prop of both tables, with its type,
 * default, context key and description.
 */
export function renderConstructProps(
  tables: readonly SettingsTable[] = [SETTINGS, DEPLOYMENT_SETTINGS],
): string {
  const rows = tables.flatMap((settings) =>
    Object.entries(settings).flatMap(([field, given]) => {
      const row = documented(field, given);
      const prop = propNameOf(field, row);
      if (prop === undefined) return [];
      const key = contextKeyOf(field, row);
      const bounds = range(row);
      return [
        [
          code(prop),
          code(propType(row)),
          row.required ? 'required' : propDefault(row),
          key === undefined ? '—' : code(key),
          bounds === '' || row.kind === 'enum' || row.kind === 'boolean'
            ? describe(field, given)
            : `${describe(field, given)} (${bounds})`,
        ],
      ];
    }),
  );
  return markdownTable(['Prop', 'Type', 'Default', 'Context key', 'Description'], rows);
}
