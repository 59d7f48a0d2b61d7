/**
 * Environment → typed configuration, validated once at cold start, by the
 * rows of the settings table (settings.ts), which spells every env var name.
 */
import { type AccountSettings, accountProblems } from './accounts.ts';
import { ConfigurationError } from './errors.ts';
import { nearestName } from './nearest-name.ts';
import {
  type ConfigOf,
  defaultsOf,
  envNames,
  InvalidSettingError,
  parseSetting,
  SETTINGS,
  type SettingsTable,
  type SettingValue,
  unmetRequirements,
} from './settings.ts';

export { LOG_LEVELS, type LogLevel } from './settings.ts';

/** The environment variables the broker reads, by config field. */
export const ENV = envNames(SETTINGS);

/** Defaults of every optional setting. */
export const DEFAULTS = defaultsOf(SETTINGS);

/** The broker's runtime configuration: one field per row of {@link SETTINGS}. */
export type BrokerConfig = ConfigOf<typeof SETTINGS>;

/** How {@link loadConfig} treats settings that differ between Lambda and the laptop. */
export interface LoadConfigOptions {
  /**
   * Allow `http:` upstream URLs on loopback, for the local simulator.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
  /** Values used where the environment has none (the local server's built-in defaults), by field. */
  readonly fallback?: Readonly<Partial<Record<keyof typeof SETTINGS, string>>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration, one row of the settings table per field.
 * @throws ConfigurationError naming the variable at fault.
 */
export function loadConfig(env: Env, options?: LoadConfigOptions): BrokerConfig;
/**
 * Reads and validates the configuration of another table (a test's).
 * @throws ConfigurationError naming the variable at fault.
 */
export function loadConfig<T extends SettingsTable>(
  env: Env,
  options: LoadConfigOptions,
  table: T,
): ConfigOf<T>;
export function loadConfig(
  env: Env,
  options: LoadConfigOptions = {},
  table: SettingsTable = SETTINGS,
): unknown {
  const values: Record<string, SettingValue> = {};
  const fallback: Readonly<Record<string, string | undefined>> = options.fallback ?? {};
  for (const [field, row] of Object.entries(table)) {
    if (row.env === undefined) continue;
    const given = env[row.env]?.trim();
    const raw = given === undefined || given === '' ? fallback[field] : given;
    if (raw === undefined && row.required) {
      throw new ConfigurationError(`${row.env} is required`);
    }
    try {
      values[field] = parseSetting(row, raw, options);
    } catch (cause) {
      if (!(cause instanceof InvalidSettingError)) throw cause;
      throw new ConfigurationError(`${row.env} ${cause.message}`, { cause });
    }
  }
  const nameOf = (field: string) => table[field]?.env ?? field;
  const [unmet] = unmetRequirements(table, values, nameOf);
  if (unmet !== undefined) throw new ConfigurationError(unmet);
  if (table === SETTINGS) {
    const [wrong] = accountProblems(values as unknown as AccountSettings, nameOf);
    if (wrong !== undefined) throw new ConfigurationError(wrong);
  }
  return values;
}

/** An environment variable that looks like a setting but is none, so it is ignored. */
export interface SettingLookalike {
  /** The variable's name. */
  readonly name: string;
  /** The setting it most likely misspells, if any is close. */
  readonly nearest: string | undefined;
}

/**
 * Variables of `env` that look like the broker's settings but are none: a
 * name close to a setting's (`MAX_DEVICE_PER_REQUEST`), or one in a family
 * of settings, a first word that two or more of them share (`UPSTREAM_`,
 * `TOKEN_`…). Without this check a typo silently leaves the default in force.
 * @param alsoKnown - names that are not settings but are read on purpose
 *   (the local server's `PORT`, for instance)
 * @example
 * settingLookalikes({ MAX_DEVICE_PER_REQUEST: '1' });
 * // [{ name: 'MAX_DEVICE_PER_REQUEST', nearest: 'MAX_DEVICES_PER_REQUEST' }]
 */
export function settingLookalikes(env: Env, alsoKnown: readonly string[] = []): SettingLookalike[] {
  const settings: string[] = Object.values(ENV);
  const known = [...settings, ...alsoKnown];
  const word = (name: string) => name.split('_')[0];
  // Families from the settings only: `AWS_` is not ours because an extra name begins so.
  const inFamily = (name: string) => settings.filter((s) => word(s) === word(name)).length > 1;
  // Another tool's own copy of a setting's name (DD_LOG_LEVEL) is not a typo.
  const namespaced = (name: string) => settings.some((s) => name.endsWith(`_${s}`));
  return Object.keys(env).flatMap((name) => {
    // Lambda's own (AWS_, LAMBDA_, _): no setting begins so, and skipping
    // them keeps the init check to a few milliseconds.
    if (known.includes(name) || namespaced(name) || /^(AWS_|LAMBDA_|_)/.test(name)) return [];
    const nearest = nearestName(name, known);
    return nearest === undefined && !inFamily(name) ? [] : [{ name, nearest }];
  });
}

/** The warning for a {@link SettingLookalike}: one line, naming the setting it resembles. */
export const lookalikeWarning = ({ name, nearest }: SettingLookalike): string =>
  `${name} is not a setting and is ignored${nearest ? `; did you mean ${nearest}?` : ''}`;
