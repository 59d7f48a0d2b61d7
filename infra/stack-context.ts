/**
 * CDK context (`cdk.json` or `-c key=value`) → construct props, by the
 * settings tables: each row's context key is its field, and its value is
 * turned into the prop's type (a time into a `Duration`).
 */
import { Annotations, Duration, type Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { nearestName } from '../functions/token-broker/nearest-name.ts';
import { formatMap, type SettingMap } from '../functions/token-broker/setting-maps.ts';
import {
  contextKeyOf,
  InvalidSettingError,
  parseSetting,
  propNameOf,
  SETTINGS,
  type SettingRow,
  type SettingsTable,
  splitList,
} from '../functions/token-broker/settings.ts';
import { DEPLOYMENT_SETTINGS } from './token-broker-defaults.ts';

/** The context keys of a table: every row but construct-set and CDK-typed ones. */
export type ContextKeys<T extends SettingsTable> = {
  readonly [K in keyof T as T[K] extends { setByConstruct: true } | { kind: 'cdk' } ? never : K]: K;
};

/** The context keys of a table, by field. */
export function contextKeysOf<T extends SettingsTable>(table: T): ContextKeys<T> {
  return Object.fromEntries(
    Object.entries(table).flatMap(([field, row]) => {
      const key = contextKeyOf(field, row);
      return key === undefined ? [] : [[field, key]];
    }),
  ) as ContextKeys<T>;
}

/** The tables the stack reads from context. */
export const CONTEXT_TABLES: readonly SettingsTable[] = [SETTINGS, DEPLOYMENT_SETTINGS];

/** The context keys the stack reads. */
export const CONTEXT_KEYS = {
  ...contextKeysOf(SETTINGS),
  ...contextKeysOf(DEPLOYMENT_SETTINGS),
};

/** The stack name when the context gives none: the name of every earlier release. */
export const DEFAULT_STACK_NAME = 'VisualTokenBroker';

/** Context keys of the app, not of the construct: the stack's name, one per stage. */
export const APP_CONTEXT_KEYS = { stackName: 'stackName' } as const;

/** CloudFormation's rule for a stack name. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * The stack name from context (`-c stackName=VisualTokenBroker-staging`), so
 * that each stage is a stack of its own in one account.
 * @throws Error naming the key when the name is not one CloudFormation takes.
 * @example
 * new TokenBrokerStack(app, stackNameFromContext(app));
 */
export function stackNameFromContext(scope: Construct): string {
  const name = new ContextReader(scope).string(APP_CONTEXT_KEYS.stackName);
  if (name === undefined) return DEFAULT_STACK_NAME;
  if (!STACK_NAME_PATTERN.test(name)) {
    throw new Error(
      `Context "${APP_CONTEXT_KEYS.stackName}" must start with a letter and hold only letters, digits and hyphens, at most 128, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * A misspelt setting (`upstreamURL`, `corsOrigins`) would otherwise be
 * ignored and the default deployed. Only plain camelCase keys are ours to
 * judge; CDK's own keys carry `:`, `/`, `@` or `-`.
 */
export function rejectUnknownSettings(
  stack: Stack,
  tables: readonly SettingsTable[] = CONTEXT_TABLES,
): void {
  const known = [
    ...tables.flatMap((t) => Object.values(contextKeysOf(t)) as string[]),
    ...Object.values(APP_CONTEXT_KEYS),
  ];
  for (const key of Object.keys(stack.node.getAllContext())) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(key) || known.includes(key)) continue;
    const near = nearestName(key, known);
    Annotations.of(stack).addError(
      `Unknown setting "${key}" in CDK context${near ? `; did you mean "${near}"?` : ''} Settings: ${known.join(', ')}.`,
    );
  }
}

/**
 * The props that context sets, by prop name, in the props' types. ARN rows
 * come back as strings under their context key: the stack imports them.
 */
export function propsFromContext(
  scope: Construct,
  tables: readonly SettingsTable[] = CONTEXT_TABLES,
): Record<string, unknown> {
  const ctx = new ContextReader(scope);
  const props: Record<string, unknown> = {};
  for (const table of tables) {
    for (const [field, row] of Object.entries(table)) {
      const key = contextKeyOf(field, row);
      const prop = propNameOf(field, row);
      if (key === undefined || prop === undefined) continue;
      let value: unknown;
      switch (row.kind) {
        case 'integer':
          value = ctx.number(key);
          break;
        case 'duration': {
          const n = ctx.number(key);
          value =
            n === undefined
              ? undefined
              : row.unit === 'ms'
                ? Duration.millis(n)
                : Duration.seconds(n);
          break;
        }
        case 'list':
          value = ctx.list(key);
          break;
        case 'map':
          value = ctx.map(key, row);
          break;
        case 'boolean':
          value = ctx.boolean(key);
          break;
        case 'arn':
          value = ctx.string(key);
          break;
        default:
          value = ctx.string(key);
      }
      if (value !== undefined) props[row.kind === 'arn' ? key : prop] = value;
    }
  }
  return props;
}

/**
 * Reads context values, which are strings with `-c key=value` and may be
 * numbers, booleans or arrays in cdk.json. Bad values fail naming the key.
 */
class ContextReader {
  private readonly scope: Construct;

  constructor(scope: Construct) {
    this.scope = scope;
  }

  private raw(key: string): unknown {
    const value: unknown = this.scope.node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'string') return value?.trim();
    throw new Error(`Context "${key}" must be a string, got ${JSON.stringify(value)}`);
  }

  number(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
      throw new Error(`Context "${key}" must be a number, got ${JSON.stringify(value)}`);
    }
    return n;
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new Error(`Context "${key}" must be true or false, got ${JSON.stringify(value)}`);
  }

  /**
   * The text form `key=value,key=value` (or a JSON object in cdk.json),
   * checked by the row's own parser.
   */
  map(key: string, row: SettingRow): SettingMap | undefined {
    const raw = this.raw(key);
    const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    const text = isObject ? formatMap(raw as SettingMap) : this.string(key);
    if (text === undefined) return undefined;
    try {
      return parseSetting(row, text) as SettingMap;
    } catch (cause) {
      if (!(cause instanceof InvalidSettingError)) throw cause;
      throw new Error(`Context "${key}" ${cause.message}`);
    }
  }

  /** A JSON array in cdk.json, or a comma-separated string. */
  list(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    if (typeof value === 'string') return splitList(value);
    throw new Error(`Context "${key}" must be a list of strings, got ${JSON.stringify(value)}`);
  }
}
