/**
 * The variables only the local processes read (`npm start`, `npm run demo`,
 * `npm run fleet`'s containers), checked before anything listens: a bad
 * `PORT` is blamed on `PORT`, and a variable that looks like a setting but
 * is none is warned about, as the Lambda does at init.
 */
import { type SettingLookalike, settingLookalikes } from '../token-broker/config.ts';
import { ConfigurationError } from '../token-broker/errors.ts';

/** Variables only the local server (and the demo page's server) read. */
export const LOCAL_ENV = {
  port: 'PORT',
  secretFile: 'BROKER_SECRET_FILE',
  simulatorFault: 'SIMULATOR_FAULT',
  simulatorGatewayAuth: 'SIMULATOR_GATEWAY_AUTH',
  /** The multi-account mode: accounts to add beside `default`, each with its own simulator. */
  accounts: 'LOCAL_ACCOUNTS',
  /** The built-in simulator's token lifetime, so renewal can be tried in a minute. */
  simulatorTokenLifetime: 'SIMULATOR_TOKEN_LIFETIME_SECONDS',
  /** The engine's name in the ready line; `npm run fleet` sets it for its own dynalite. */
  storeEngine: 'LOCAL_STORE_ENGINE',
  /** `npm run demo`'s port. */
  demoPort: 'DEMO_PORT',
} as const;

/** The SDK's own variable naming the DynamoDB endpoint. */
export const DYNAMODB_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB';

/** Default port of `npm start`. */
export const DEFAULT_PORT = 3000;

/**
 * The origins the demo page is served on (`npm run demo`, port + 1), which
 * the local server allows when CORS_ALLOWED_ORIGINS is not set, so the demo
 * works out of the box. Both spellings of loopback, since a browser treats
 * them as different origins.
 */
export function demoOrigins(brokerPort: number): string[] {
  return [`http://127.0.0.1:${brokerPort + 1}`, `http://localhost:${brokerPort + 1}`];
}

/**
 * A port from the environment: a whole number from 0 (a free one) to 65535.
 * @param name - the variable, for the message
 * @throws ConfigurationError naming `name` otherwise.
 * @example
 * parsePort(process.env.PORT, 'PORT', 3000);
 */
export function parsePort(raw: string | undefined, name: string, fallback: number): number {
  const text = raw?.trim() ?? '';
  if (text === '') return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new ConfigurationError(
      `${name} must be a whole number from 0 to 65535 (0 picks a free port), got "${raw}"`,
    );
  }
  return port;
}

/** Variables that `npm start` reads on purpose although they are not settings. */
const LOCAL_NAMES: readonly string[] = [...Object.values(LOCAL_ENV), DYNAMODB_ENDPOINT_ENV];

/**
 * The variables of `env` that look like settings but are none, with the
 * local server's own variables counted as known.
 */
export const localLookalikes = (
  env: Readonly<Record<string, string | undefined>>,
): SettingLookalike[] => settingLookalikes(env, LOCAL_NAMES);
