/**
 * The settings tables seen from CDK: the props they name, their synth-time
 * checks (the function's own parsers, so a bad value fails `cdk synth`
 * exactly as it would fail the cold start), and the function's environment.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { formatMap, type SettingMap } from '../functions/token-broker/setting-maps.ts';
import {
  InvalidSettingError,
  parseSetting,
  propNameOf,
  SETTINGS,
  type SettingRow,
  type SettingsTable,
  type SettingValue,
  unmetRequirements,
} from '../functions/token-broker/settings.ts';
import { DEPLOYMENT_SETTINGS } from './token-broker-defaults.ts';

/** A prop the construct refuses, named as the caller spelt it. */
export class TokenBrokerPropsError extends Error {
  constructor(prop: string, message: string) {
    super(`TokenBroker: ${[prop, message].filter((s) => s !== '').join(' ')}`);
    this.name = 'TokenBrokerPropsError';
  }
}

/** The prop of a row, by the naming rule: a time drops its unit, an ARN its `Arn`. */
type PropName<K extends string, R> = R extends { setByConstruct: true }
  ? never
  : R extends { kind: 'duration' }
    ? K extends `${infer P}Seconds` | `${infer P}Ms`
      ? P
      : never
    : R extends { kind: 'arn' }
      ? K extends `${infer P}Arn`
        ? P
        : never
      : K;

/**
 * The prop type of a row; CDK-typed rows, and rows whose prop takes a CDK
 * type as well (`propType`, e.g. `boolean | ITable`), are declared by hand in the props.
 */
type PropType<R> = R extends { propType: string }
  ? unknown
  : R extends { kind: 'duration' }
    ? Duration
    : R extends { kind: 'integer' }
      ? number
      : R extends { kind: 'boolean' }
        ? boolean
        : R extends { kind: 'list' }
          ? readonly string[]
          : R extends { kind: 'map' }
            ? Readonly<Record<string, string>>
            : R extends { kind: 'enum'; values: readonly (infer V)[] }
              ? V
              : R extends { kind: 'cdk' | 'arn' }
                ? unknown
                : string;

/** The optional props a table names: a new row is a prop with no further edit. */
export type SettingProps<T extends SettingsTable> = {
  readonly [K in keyof T & string as PropName<K, T[K]>]?: PropType<T[K]>;
};

/** The props of both tables. */
export type AllSettingProps = SettingProps<typeof SETTINGS> &
  SettingProps<typeof DEPLOYMENT_SETTINGS>;

/** Props as the tables see them: any object, read by prop name. */
type Props = object;

/** A prop in its row's unit, as text or a number, the way the parser takes it. */
function inRowUnit(row: SettingRow, value: unknown): string | number | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Duration) {
    return row.unit === 'ms'
      ? value.toMilliseconds({ integral: false })
      : value.toSeconds({ integral: false });
  }
  if (Array.isArray(value)) return value.join(',');
  // A map prop goes through the text form, so the function's parser checks it.
  if (row.kind === 'map' && typeof value === 'object') return formatMap(value as SettingMap);
  if (typeof value === 'boolean') return String(value);
  return value as string | number;
}

/**
 * Checks the props a table names by the function's own rules, at synth.
 * Unresolved tokens pass as they are: they are only known at deploy.
 * @returns each field's value in its row's unit, defaults filled in.
 * @throws TokenBrokerPropsError naming the prop.
 */
export function checkSettingProps(
  props: Props,
  table: SettingsTable,
  defaults: Readonly<Record<string, SettingValue>> = {},
): Record<string, SettingValue> {
  const values: Record<string, SettingValue> = {};
  for (const [field, row] of Object.entries(table)) {
    const prop = propNameOf(field, row);
    if (prop === undefined || row.kind === 'cdk' || row.kind === 'arn') continue;
    const given = (props as Record<string, unknown>)[prop];
    if (row.propType !== undefined && typeof given === 'object' && given !== null) {
      // A CDK object where the row also takes a plain value (your own table
      // for `grantsTable: true`): on, and the construct's to check.
      values[field] = true;
      continue;
    }
    const raw = inRowUnit(row, given);
    if (raw === undefined) {
      values[field] = defaults[field] ?? row.default;
    } else if (Token.isUnresolved(raw)) {
      values[field] = raw;
    } else {
      try {
        values[field] = parseSetting(row, raw);
      } catch (cause) {
        if (!(cause instanceof InvalidSettingError)) throw cause;
        throw new TokenBrokerPropsError(prop, cause.message);
      }
    }
  }
  const [unmet] = unmetRequirements(table, values, (f) => {
    const row = table[f];
    return (row && propNameOf(f, row)) ?? row?.env ?? f;
  });
  if (unmet !== undefined) throw new TokenBrokerPropsError(unmet, '');
  return values;
}

/** Options of {@link functionEnvironment}. */
export interface FunctionEnvironmentOptions {
  /** Values of the settings the construct fills in (`secretId`, `tokenTable`), by field. */
  readonly provided?: Readonly<Record<string, string>>;
  /** Defaults that differ from the function's own (the Cognito claim), by field. */
  readonly defaults?: Readonly<Record<string, SettingValue>>;
}

/**
 * The function's environment: every variable of the table, from its prop or
 * its default, checked at synth. Empty means "not set" to the function.
 * @param table the settings; the real table unless a test gives another.
 */
export function functionEnvironment(
  props: Props,
  options: FunctionEnvironmentOptions = {},
  table: SettingsTable = SETTINGS,
): Record<string, string> {
  const provided = options.provided ?? {};
  const values = { ...checkSettingProps(props, table, options.defaults), ...provided };
  const [unmet] = unmetRequirements(table, values, (f) => table[f]?.env ?? f);
  if (unmet !== undefined) throw new TokenBrokerPropsError(unmet, '');
  const env: Record<string, string> = {};
  for (const [field, row] of Object.entries(table)) {
    if (row.env === undefined) continue;
    const value = values[field];
    env[row.env] = value === undefined ? '' : envText(value);
  }
  return env;
}

/** A parsed value as the environment holds it: lists and maps in their text form. */
function envText(value: Exclude<SettingValue, undefined>): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return formatMap(value as SettingMap);
  return String(value);
}

/** The deployment-only settings, checked; times in their row's unit. */
export function deploymentSettings(
  props: Props,
  table: SettingsTable = DEPLOYMENT_SETTINGS,
): Record<string, SettingValue> {
  return checkSettingProps(props, table);
}
