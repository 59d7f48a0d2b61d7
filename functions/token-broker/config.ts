/**
 * Environment → typed configuration, validated once at cold start, by the
 * rows of the settings table (settings.ts), which spells every env var name.
 */
import { ConfigurationError } from './errors.ts';
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
  const [unmet] = unmetRequirements(table, values, (field) => table[field]?.env ?? field);
  if (unmet !== undefined) throw new ConfigurationError(unmet);
  return values;
}
