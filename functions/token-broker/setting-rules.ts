/**
 * The rules of the settings table (settings.ts): a row's shape, the naming
 * rule, the types a table gives its configuration, and the parsers that the
 * function (at cold start) and the construct (at synth) both use.
 *
 * Pure: no SDK, no aws-cdk-lib, no `process.env`.
 */
import { InvalidSettingError } from './invalid-setting-error.ts';
import { type MapRule, parseMap, type SettingMap } from './setting-maps.ts';
import { parseUpstreamUrl } from './upstream-url.ts';

export { InvalidSettingError } from './invalid-setting-error.ts';

/** What a setting holds, which decides how it is parsed and typed. */
export const SETTING_KINDS = [
  'integer',
  'duration',
  'string',
  'url',
  'list',
  'map',
  'enum',
  'boolean',
  'arn',
  'cdk',
] as const;

/** A kind of setting. */
export type SettingKind = (typeof SETTING_KINDS)[number];

/** The unit suffixes a name may carry; the prop drops them (see the naming rule). */
export const UNIT_SUFFIXES = { seconds: 'Seconds', ms: 'Ms', arn: 'Arn' } as const;

/** How the items of a list setting are checked. */
export type ListItemRule = 'productKey' | 'origin';

/** One setting: its names follow from its key by the naming rule. */
export interface SettingRow {
  /** What it holds. */
  readonly kind: SettingKind;
  /**
   * The environment variable the function reads: the key in SCREAMING_SNAKE_CASE.
   * Absent on deployment-only settings, which the function never reads.
   */
  readonly env?: string;
  /** Unit of a `duration` (the key ends in it). */
  readonly unit?: 'seconds' | 'ms';
  /** Default, in the row's unit; absent means "not set" (or required). */
  readonly default?: number | string | boolean | readonly string[];
  /** Smallest value of an `integer` or `duration`, in its unit. */
  readonly min?: number;
  /** Largest value of an `integer` or `duration`, in its unit. */
  readonly max?: number;
  /** Accepted values of an `enum`. */
  readonly values?: readonly string[];
  /** Pattern a `string` must match, with a phrase for the error ("a claim name"). */
  readonly pattern?: { readonly regex: RegExp; readonly expected: string };
  /** Rule for each item of a `list`. */
  readonly item?: ListItemRule;
  /** Rule for the keys and values of a `map`. */
  readonly map?: MapRule;
  /** A `list` that, when set, must name at least one item (the phrase names the item). */
  readonly nonEmpty?: string;
  /** The function fails to start without it. */
  readonly required?: boolean;
  /**
   * Filled in by the construct from a resource it creates (as `SECRET_ID`
   * from the secret): no construct prop and no context key.
   */
  readonly setByConstruct?: boolean;
  /** When this setting is on (set, true, above 0), that setting must be on too. */
  readonly requires?: string;
  /** The construct prop's type for the docs, where the kind alone does not give it (`ISecret`, `boolean | ITable`). */
  readonly propType?: string;
  /** Default as the docs state it, where the value alone would mislead. */
  readonly defaultText?: string;
  /**
   * What it does, one sentence. The function's own rows keep theirs in
   * setting-docs.ts, out of the Lambda bundle; infra's deployment rows here.
   */
  readonly description?: string;
}

/** A table of settings, by field. */
export type SettingsTable = Readonly<Record<string, SettingRow>>;

/** A value of a setting once parsed. */
export type SettingValue = number | string | boolean | readonly string[] | SettingMap | undefined;

/** The parsed type of one row. */
export type ValueOf<R extends SettingRow> = R extends { kind: 'integer' | 'duration' }
  ? number
  : R extends { kind: 'boolean' }
    ? boolean
    : R extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : R extends { kind: 'map' }
        ? SettingMap | undefined
        : R extends { kind: 'list' }
          ? R extends { default: readonly string[] }
            ? readonly string[]
            : readonly string[] | undefined
          : R extends { required: true } | { default: string }
            ? string
            : string | undefined;

/** The configuration a table describes: each field typed by its row. */
export type ConfigOf<T extends SettingsTable> = { readonly [K in keyof T]: ValueOf<T[K]> };

/** The environment variable of each setting, by field. */
export type EnvNames<T extends SettingsTable> = {
  readonly [K in keyof T as T[K] extends { env: string } ? K : never]: T[K]['env'];
};

/** The environment variable names of a table, by field (the rows' own spelling). */
export function envNames<T extends SettingsTable>(table: T): EnvNames<T> {
  return Object.fromEntries(
    Object.entries(table).flatMap(([field, row]) => (row.env ? [[field, row.env]] : [])),
  ) as EnvNames<T>;
}

/** The defaults of a table, by field: the rows that have one. */
export function defaultsOf<T extends SettingsTable>(table: T) {
  return Object.fromEntries(
    Object.entries(table).flatMap(([field, row]) =>
      row.default === undefined ? [] : [[field, row.default]],
    ),
  ) as {
    readonly [K in keyof T as T[K] extends { default: unknown } ? K : never]: T[K]['default'];
  };
}

/** `secretCacheSeconds` → `SECRET_CACHE_SECONDS`, as a type. */
export type ScreamingSnake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? Uppercase<H> : `_${H}`}${ScreamingSnake<T>}`
  : '';

/** `rows` with each row's `env` set to its field's {@link envNameOf}. */
export function withEnvNames<T extends Readonly<Record<string, Omit<SettingRow, 'env'>>>>(
  rows: T,
): { readonly [K in keyof T]: T[K] & { readonly env: ScreamingSnake<K & string> } } {
  return Object.fromEntries(
    Object.entries(rows).map(([field, row]) => [field, { ...row, env: envNameOf(field) }]),
  ) as never;
}

/** `secretCacheSeconds` → `SECRET_CACHE_SECONDS`: the rule's environment name. */
export const envNameOf = (field: string): string =>
  field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The construct prop of a setting: the field without its unit where CDK has a type for it. */
export function propNameOf(field: string, row: SettingRow): string | undefined {
  if (row.setByConstruct) return undefined;
  if (row.kind === 'duration' && row.unit !== undefined) {
    return stripSuffix(field, UNIT_SUFFIXES[row.unit]);
  }
  if (row.kind === 'arn') return stripSuffix(field, UNIT_SUFFIXES.arn);
  return field;
}

/** The CDK context key of a setting: the field itself; none for prop-only and construct-set ones. */
export const contextKeyOf = (field: string, row: SettingRow): string | undefined =>
  row.setByConstruct || row.kind === 'cdk' ? undefined : field;

function stripSuffix(field: string, suffix: string): string {
  if (!field.endsWith(suffix)) throw new Error(`setting ${field} must end in ${suffix}`);
  return field.slice(0, -suffix.length);
}

/** Options of {@link parseSetting}. */
export interface ParseOptions {
  /** Allow `http:` URLs on loopback (the local simulator). */
  readonly allowLoopbackHttp?: boolean;
}

/**
 * Parses one setting's text, as an environment variable holds it, by the
 * row's rules. `undefined` (unset or blank) gives the default. A number (a
 * typed prop) is checked as it is, and shown unquoted in the message.
 * @throws InvalidSettingError with the message after the setting's name.
 */
export function parseSetting(
  row: SettingRow,
  raw: string | number | undefined,
  options: ParseOptions = {},
): SettingValue {
  if (raw === undefined) return row.default;
  if (typeof raw === 'number' || row.kind === 'integer' || row.kind === 'duration') {
    return parseWholeNumber(row, raw);
  }
  switch (row.kind) {
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new InvalidSettingError(`must be true or false, got "${raw.slice(0, 40)}"`);
    case 'enum':
      if (row.values?.includes(raw)) return raw;
      throw new InvalidSettingError(
        `must be one of ${row.values?.join(', ')}, got "${raw.slice(0, 40)}"`,
      );
    case 'url':
      return parseUpstreamUrl(raw, options.allowLoopbackHttp ?? false);
    case 'list':
      return parseList(row, raw);
    case 'map':
      if (row.map === undefined) throw new Error('a map row needs its map rule');
      return parseMap(raw, row.map);
    default:
      if (row.pattern !== undefined && !row.pattern.regex.test(raw)) {
        throw new InvalidSettingError(`must be ${row.pattern.expected}, got "${raw.slice(0, 40)}"`);
      }
      return raw;
  }
}

function parseWholeNumber(row: SettingRow, raw: string | number): number {
  const min = row.min ?? 0;
  const max = row.max ?? Number.MAX_SAFE_INTEGER;
  const value = Number(raw);
  const whole = typeof raw === 'number' ? Number.isInteger(raw) : /^\d+$/.test(raw);
  if (!whole || value < min || value > max) {
    const shown = typeof raw === 'number' ? String(raw) : `"${raw}"`;
    throw new InvalidSettingError(`must be a whole number from ${min} to ${max}, got ${shown}`);
  }
  return value;
}

/** Splits a comma-separated list, dropping blanks. */
export const splitList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function parseList(row: SettingRow, raw: string): readonly string[] {
  const items = splitList(raw);
  for (const item of items) {
    if (row.item === 'productKey' && !/^[A-Za-z0-9]{1,64}$/.test(item)) {
      throw new InvalidSettingError(`holds an invalid product key "${item.slice(0, 70)}"`);
    }
    if (row.item === 'origin' && !isExactOrigin(item)) {
      throw new InvalidSettingError(
        `entries must be exact origins such as https://app.example.com, got "${item.slice(0, 80)}"`,
      );
    }
  }
  if (row.nonEmpty !== undefined && items.length === 0) {
    throw new InvalidSettingError(`is set but lists no ${row.nonEmpty}`);
  }
  return items;
}

/**
 * Origins are compared as exact strings, so each must be a bare origin:
 * scheme, host and optional port, nothing else, and no wildcard.
 */
function isExactOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return !origin.includes('*') && url.origin === origin && /^https?:$/.test(url.protocol);
}

/** A setting that is on: set, true, above 0, or a non-empty list. */
export const isOn = (value: SettingValue): boolean =>
  Array.isArray(value)
    ? value.length > 0
    : typeof value === 'object'
      ? Object.keys(value).length > 0
      : value !== undefined && value !== false && value !== 0 && value !== '';

/**
 * The `requires` rules of a table that the values break, as messages naming
 * both settings by `nameOf` (the env var at run time, the prop at synth).
 */
export function unmetRequirements(
  table: SettingsTable,
  values: Readonly<Record<string, SettingValue>>,
  nameOf: (field: string) => string,
): string[] {
  return Object.entries(table).flatMap(([field, row]) => {
    const needed = row.requires;
    if (needed === undefined || !isOn(values[field]) || isOn(values[needed])) return [];
    const state = row.kind === 'boolean' ? 'true' : 'set';
    const neededRow = table[needed];
    const need =
      neededRow?.kind === 'integer' || neededRow?.kind === 'duration'
        ? 'must be above 0'
        : 'is required';
    return [`${nameOf(field)} is ${state}, so ${nameOf(needed)} ${need}`];
  });
}
