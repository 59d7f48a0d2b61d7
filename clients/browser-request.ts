/**
 * One request of the browser client (`POST /tokens`, `GET /tokens/devices`)
 * with its retries, the device check before it, and how its answers become
 * a call's result. Part of `clients/browser-client.ts`.
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
import type { Batch } from './browser-call.ts';
import { httpError, TokenBrokerError, TokenBrokerHttpError } from './browser-client-errors.ts';
import type { BrowserTokenClientOptions } from './browser-client-options.ts';
import { retryAfterMs, retryDelayMs, sleep } from './retry-after.ts';

/** A device's outcome: a token with its expiry on the client's clock, or a failure. */
export type Outcome = { token: IssuedToken; expiresAtMs?: number } | { failure: DeviceFailure };

/** A call waiting in the queue for its device's outcome. */
export interface Waiter {
  readonly device: DeviceKey;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

/** A device's request in flight, which other calls join. */
export interface Pending {
  readonly promise: Promise<Outcome>;
  readonly batch: Batch;
}

/** What a request needs of its client. */
export interface Sender {
  readonly options: BrowserTokenClientOptions;
  readonly bearer: () => string | Promise<string>;
  now(): number;
}

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
 * One request to `url` (`POST` of `body`, or a `GET` without one), tried again
 * after a 503 or 429 while attempts and the batch's deadline allow.
 * @param key - the member a successful answer has as an array (`tokens`, `devices`)
 * @throws TokenBrokerHttpError for an error answer, as {@link sendRequest} otherwise.
 */
export async function request(
  sender: Sender,
  url: string,
  key: string,
  batch: Batch,
  body?: string,
): Promise<unknown> {
  const { options, bearer } = sender;
  for (let attempt = 1; ; attempt++) {
    const response = await sendRequest(url, body, batch.signal, bearer, options.fetch);
    const answer = await response.json().catch(() => undefined);
    if (response.ok && Array.isArray(answer?.[key])) return answer;
    const now = sender.now();
    const wait = retryAfterMs(response.headers.get('retry-after'), now);
    const error = httpError(response, answer, wait);
    const delay = retryDelayMs(response, attempt, wait);
    const attempts = options.maxAttempts ?? 3;
    if (delay === undefined || attempt >= attempts || now + delay > batch.deadlineMs) throw error;
    await sleep(delay, batch.signal);
  }
}

/**
 * Sends `body` (or a `GET` without one) with the bearer token `getBearerToken` gives now.
 * @throws TokenBrokerError `BEARER_TOKEN_UNAVAILABLE` when it throws or gives
 *   none, `NETWORK_ERROR` when fetch fails; the signal's reason once it aborts.
 */
export async function sendRequest(
  url: string,
  body: string | undefined,
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
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json, application/problem+json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return await doFetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body,
      signal,
    });
  } catch (cause) {
    if (signal.aborted) throw signal.reason;
    throw new TokenBrokerError(network, `The broker could not be reached: ${cause}`, { cause });
  }
}
