/**
 * One `POST /tokens` of the browser client, the device check before it, and
 * how its answers become a call's result. Part of `clients/browser-client.ts`.
 */
import {
  CLIENT_FAILURE_CODES,
  DEVICE_FAILURE_CODES,
  DEVICE_PATTERNS,
  type DeviceFailure,
  type DeviceKey,
  deviceId,
  ERROR_CODE,
  type IssuedToken,
  type TokenResult,
} from '../functions/token-broker/contract.ts';
import { TokenBrokerError, TokenBrokerHttpError } from './browser-client-errors.ts';

/** A device's outcome: a token with its expiry on the client's clock, or a failure. */
export type Outcome = { token: IssuedToken; expiresAtMs?: number } | { failure: DeviceFailure };

/** @throws TokenBrokerHttpError, the 400 the broker would answer for the first malformed device. */
export function checkDevices(devices: readonly DeviceKey[]): void {
  devices.forEach((device, i) => {
    for (const key of ['productKey', 'deviceName'] as const) {
      const value: unknown = device?.[key];
      if (typeof value !== 'string' || !DEVICE_PATTERNS[key].test(value)) {
        const field = `devices[${i}].${key}`;
        const detail = `${field}: must match ${DEVICE_PATTERNS[key].source}`;
        throw new TokenBrokerHttpError(400, { code: ERROR_CODE.INVALID_REQUEST, detail, field });
      }
    }
  });
}

/** A device's outcome in a broker answer; a device the answer left out got no token. */
export const outcomeOf = (outcomes: Map<string, Outcome> | undefined, device: DeviceKey): Outcome =>
  outcomes?.get(deviceId(device)) ?? {
    failure: {
      ...device,
      code: DEVICE_FAILURE_CODES.noToken,
      message: 'The broker returned nothing for this device',
    },
  };

/** The result of `outcomes`, each token's `expiresIn` counted from `nowMs`. */
export function resultOf(outcomes: readonly Outcome[], nowMs: number): TokenResult {
  const result: TokenResult = { tokens: [], failures: [] };
  for (const o of outcomes) {
    if ('failure' in o) result.failures.push(o.failure);
    else {
      const expiresIn = Math.max(0, Math.floor(((o.expiresAtMs ?? 0) - nowMs) / 1000));
      result.tokens.push({ ...o.token, expiresIn });
    }
  }
  return result;
}

/**
 * Sends `body` with the bearer token `getBearerToken` gives now.
 * @throws TokenBrokerError `BEARER_TOKEN_UNAVAILABLE` when it throws or gives
 *   none, `NETWORK_ERROR` when fetch fails; the signal's reason once it aborts.
 */
export async function postTokens(
  url: string,
  body: string,
  signal: AbortSignal,
  getBearerToken: () => string | Promise<string>,
  doFetch: typeof fetch = globalThis.fetch,
): Promise<Response> {
  const { bearerToken, network } = CLIENT_FAILURE_CODES;
  let token: unknown;
  try {
    token = await getBearerToken();
  } catch (cause) {
    throw new TokenBrokerError(bearerToken, `getBearerToken failed: ${cause}`, { cause });
  }
  if (typeof token !== 'string' || token === '') {
    throw new TokenBrokerError(bearerToken, 'getBearerToken returned no token (signed out?)');
  }
  try {
    return await doFetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, application/problem+json',
      },
      body,
      signal,
    });
  } catch (cause) {
    if (signal.aborted) throw signal.reason;
    throw new TokenBrokerError(network, `The broker could not be reached: ${cause}`, { cause });
  }
}
