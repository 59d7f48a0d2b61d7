import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ENV, loadConfig } from '../../functions/token-broker/config.ts';
import {
  contextKeyOf,
  envNameOf,
  propNameOf,
  SETTINGS,
  type SettingsTable,
} from '../../functions/token-broker/settings.ts';
import {
  contextKeysOf,
  propsFromContext,
  rejectUnknownSettings,
} from '../../infra/stack-context.ts';
import { DEPLOYMENT_SETTINGS } from '../../infra/token-broker-defaults.ts';
import { functionEnvironment } from '../../infra/token-broker-settings.ts';
import { renderConstructProps, renderSettingsTable } from '../../scripts/docs/settings-table.ts';
import { literalCounts } from '../support/source-literals.ts';

/** The trimmed cells of the Markdown table row whose first cell is `first`. */
const cellsOf = (markdown: string, first: string) =>
  markdown
    .split('\n')
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    .find((cells) => cells[0] === first);

const base = { SECRET_ID: 'secret', UPSTREAM_URL: 'https://gateway.example.com' };

/** A made-up setting, added to the table and nowhere else. */
const WITH_THROWAWAY = {
  ...SETTINGS,
  throwawayWindowSeconds: {
    kind: 'duration',
    unit: 'seconds',
    env: 'THROWAWAY_WINDOW_SECONDS',
    default: 7,
    min: 1,
    max: 60,
    description: 'A made-up setting that exists only in this test.',
  },
} as const satisfies SettingsTable;

describe('a row added to the settings table alone', () => {
  it('reaches loadConfig, with its default and its range', () => {
    // Act
    const byDefault = loadConfig(base, {}, WITH_THROWAWAY);
    const given = loadConfig({ ...base, THROWAWAY_WINDOW_SECONDS: '9' }, {}, WITH_THROWAWAY);
    const bad = () => loadConfig({ ...base, THROWAWAY_WINDOW_SECONDS: '0' }, {}, WITH_THROWAWAY);

    // Assess
    expect(byDefault.throwawayWindowSeconds).toBe(7);
    expect(given.throwawayWindowSeconds).toBe(9);
    expect(bad).toThrow('THROWAWAY_WINDOW_SECONDS must be a whole number from 1 to 60, got "0"');
  });

  it('reaches the construct’s environment, as a Duration prop named without its unit', () => {
    // Prepare
    const props = { upstreamUrl: base.UPSTREAM_URL, throwawayWindow: Duration.seconds(12) };

    // Act
    const given = functionEnvironment(props, {}, WITH_THROWAWAY);
    const byDefault = functionEnvironment({ upstreamUrl: base.UPSTREAM_URL }, {}, WITH_THROWAWAY);
    const bad = () =>
      functionEnvironment({ ...props, throwawayWindow: Duration.minutes(2) }, {}, WITH_THROWAWAY);

    // Assess
    expect(given.THROWAWAY_WINDOW_SECONDS).toBe('12');
    expect(byDefault.THROWAWAY_WINDOW_SECONDS).toBe('7');
    expect(bad).toThrow(
      'TokenBroker: throwawayWindow must be a whole number from 1 to 60, got 120',
    );
  });

  it('reaches the stack’s context keys, turned into the prop', () => {
    // Prepare
    const app = new App({ context: { throwawayWindowSeconds: '5' } });
    const stack = new Stack(app, 'S');

    // Act
    const keys = contextKeysOf(WITH_THROWAWAY);
    const props = propsFromContext(stack, [WITH_THROWAWAY]);
    rejectUnknownSettings(stack, [WITH_THROWAWAY]);

    // Assess
    expect(keys.throwawayWindowSeconds).toBe('throwawayWindowSeconds');
    expect((props.throwawayWindow as Duration).toSeconds()).toBe(5);
    expect(stack.node.metadata.filter((m) => m.type === 'aws:cdk:error')).toEqual([]);
  });

  it('reaches the docs: the configuration table and the props table', () => {
    // Act
    const settings = renderSettingsTable(WITH_THROWAWAY);
    const props = renderConstructProps([WITH_THROWAWAY]);

    // Assess
    expect(cellsOf(settings, '`THROWAWAY_WINDOW_SECONDS`')).toEqual([
      '`THROWAWAY_WINDOW_SECONDS`',
      '`throwawayWindow`',
      '`throwawayWindowSeconds`',
      'duration (s)',
      '7 s',
      '1 s – 60 s',
      WITH_THROWAWAY.throwawayWindowSeconds.description,
    ]);
    expect(cellsOf(props, '`throwawayWindow`')?.slice(0, 4)).toEqual([
      '`throwawayWindow`',
      '`Duration`',
      '`Duration.seconds(7)`',
      '`throwawayWindowSeconds`',
    ]);
  });
});

describe('settings table: the naming rule', () => {
  const rows = [...Object.entries(SETTINGS), ...Object.entries(DEPLOYMENT_SETTINGS)];

  it.each(Object.entries(SETTINGS))('%s has the env var the rule derives', (field, row) => {
    // Act
    const derived = envNameOf(field);

    // Assess
    expect(row.env).toBe(derived);
  });

  it('every prop and every context key is unique, and no time prop keeps its unit', () => {
    // Act
    const props = rows.map(([field, row]) => propNameOf(field, row)).filter((p) => p);
    const keys = rows.map(([field, row]) => contextKeyOf(field, row)).filter((k) => k);

    // Assess
    expect(new Set(props).size).toBe(props.length);
    expect(new Set(keys).size).toBe(keys.length);
    expect(props.filter((p) => /(Seconds|Ms|Arn)$/.test(p as string))).toEqual([]);
  });
});

describe('settings table: env var names are never copied', () => {
  it('each is derived from its field, and appears as a string literal at most once in functions/, infra/, clients/, bin/, scripts/', () => {
    // Act
    const counts = literalCounts(Object.values(ENV));

    // Assess
    expect(Object.entries(ENV).filter(([field, env]) => env !== envNameOf(field))).toEqual([]);
    expect(counts.filter(([, n]) => n > 1)).toEqual([]);
  });
});

describe('loadConfig: the fleet store and budget rows', () => {
  it('applies their defaults', () => {
    // Act
    const config = loadConfig(base);

    // Assess
    expect(config).toMatchObject({
      tokenCacheMaxBytes: 33_554_432,
      loginGatherMs: 0,
      tokenTable: undefined,
      tokenStoreKeySecretId: undefined,
      tokenRefreshMinIntervalSeconds: 30,
      tokenStoreTimeoutMs: 300,
      tokenLeaseSeconds: 10,
      sharedCircuit: false,
      loginBudgetPerHour: 0,
      loginBudgetEnforce: false,
    });
  });

  it('reads booleans and the store pair', () => {
    // Act
    const config = loadConfig({
      ...base,
      [ENV.tokenTable]: 'tokens',
      [ENV.tokenStoreKeySecretId]: 'broker/token-key',
      [ENV.sharedCircuit]: 'true',
      [ENV.loginBudgetPerHour]: '500',
      [ENV.loginBudgetEnforce]: 'true',
    });

    // Assess
    expect(config).toMatchObject({
      tokenTable: 'tokens',
      tokenStoreKeySecretId: 'broker/token-key',
      sharedCircuit: true,
      loginBudgetPerHour: 500,
      loginBudgetEnforce: true,
    });
  });

  it.each([
    [
      'TOKEN_TABLE is set without TOKEN_STORE_KEY_SECRET_ID',
      { TOKEN_TABLE: 'tokens' },
      'TOKEN_TABLE is set, so TOKEN_STORE_KEY_SECRET_ID is required',
    ],
    [
      'LOGIN_BUDGET_ENFORCE is true with no budget',
      { LOGIN_BUDGET_ENFORCE: 'true' },
      'LOGIN_BUDGET_ENFORCE is true, so LOGIN_BUDGET_PER_HOUR must be above 0',
    ],
    [
      'a boolean is not true or false',
      { SHARED_CIRCUIT: 'yes' },
      'SHARED_CIRCUIT must be true or false, got "yes"',
    ],
    [
      'LOGIN_GATHER_MS is over a second',
      { LOGIN_GATHER_MS: '1001' },
      'LOGIN_GATHER_MS must be a whole number from 0 to 1000',
    ],
    [
      'TOKEN_CACHE_MAX_BYTES is below 64 KiB',
      { TOKEN_CACHE_MAX_BYTES: '1024' },
      'TOKEN_CACHE_MAX_BYTES must be a whole number from 65536 to 1073741824',
    ],
  ])('fails when %s, naming the variable', (_case, env, message) => {
    // Act
    const act = () => loadConfig({ ...base, ...env });

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: expect.stringContaining(message),
      }),
    );
  });
});
