/**
 * The `map` kind of the settings table: `key=value` pairs separated by
 * commas (`cn=broker/cn,eu=broker/eu`), each side checked by its row's
 * pattern. Pure: the function and the construct both parse with it.
 */
import { InvalidSettingError } from './invalid-setting-error.ts';

/** A parsed `map` setting: value by key. */
export type SettingMap = Readonly<Record<string, string>>;

/** The rules of a `map` row's keys and values. */
export interface MapRule {
  /** Each key's pattern, with a phrase for the error ("an account name"). */
  readonly key: { readonly regex: RegExp; readonly expected: string };
  /** Each value's pattern. */
  readonly value: { readonly regex: RegExp; readonly expected: string };
}

/**
 * Parses `key=value,key=value`. A pair splits at its first `=`, so a value
 * may hold one (secret names may); blanks between commas are dropped.
 * @throws InvalidSettingError naming the pair at fault.
 * @example
 * parseMap('cn=broker/cn, eu=broker/eu', rule); // { cn: 'broker/cn', eu: 'broker/eu' }
 */
export function parseMap(raw: string, rule: MapRule): SettingMap {
  const map: Record<string, string> = Object.create(null);
  for (const pair of raw.split(',').map((s) => s.trim())) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const shown = pair.slice(0, 80);
    if (at < 0) throw new InvalidSettingError(`entries must be key=value, got "${shown}"`);
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (!rule.key.regex.test(key)) {
      throw new InvalidSettingError(`keys must be ${rule.key.expected}, got "${key.slice(0, 40)}"`);
    }
    if (!rule.value.regex.test(value)) {
      throw new InvalidSettingError(
        `values must be ${rule.value.expected}, got "${value.slice(0, 80)}" for ${key}`,
      );
    }
    if (Object.hasOwn(map, key)) throw new InvalidSettingError(`names ${key} twice`);
    map[key] = value;
  }
  // Only commas would silently mean "nothing"; blank text is an empty map (a prop's `{}`).
  if (Object.keys(map).length === 0 && raw.trim() !== '') {
    throw new InvalidSettingError('is set but names no key=value pair');
  }
  return { ...map };
}

/** The text of a map, as the environment holds it: the inverse of {@link parseMap}. */
export const formatMap = (map: SettingMap): string =>
  Object.entries(map)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
