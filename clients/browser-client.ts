/**
 * Client of the broker's `POST /tokens` for browsers and Node, on `fetch`
 * only. It caches tokens until shortly before expiry, shares one request
 * among concurrent asks for a device, and gathers the devices asked for in
 * the same task into one request. Its only import is the wire contract,
 * which imports nothing, so it ships on its own (`npm run build:client` →
 * `dist/browser-client.js`).
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
  type Problem,
  type TokenResult,
} from '../functions/token-broker/contract.ts';

export {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  DEVICE_FAILURE_CODES,
  DEVICE_PATTERNS,
  type DeviceFailure,
  type DeviceFailureCode,
  type DeviceKey,
  ERROR_CODE,
  type ErrorCode,
  type IssuedToken,
  type Problem,
  type TokenRequest,
  type TokenResult,
} from '../functions/token-broker/contract.ts';

/** Options of {@link BrowserTokenClient}. */
export interface BrowserTokenClientOptions {
  /** Where the broker is, e.g. `https://api.example.com` or `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /** The caller's bearer JWT; called once per request, so it may refresh. */
  readonly getAccessToken: () => string | Promise<string>;
  /**
   * The fetch to use.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * A cached token is used only with at least this many seconds left; matches
   * the broker's `MIN_TOKEN_VALIDITY_SECONDS`.
   * @default 300
   */
  readonly minValiditySeconds?: number;
  /**
   * Most devices in one request; matches the broker's `MAX_DEVICES_PER_REQUEST`.
   * @default 50
   */
  readonly maxBatchSize?: number;
}

/** Any error of the client; `code` is the broker's problem code or the client's own. */
export class TokenBrokerError extends Error {
  /** Stable code: a broker problem code, `NETWORK_ERROR` or `UNEXPECTED_RESPONSE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Set by hand: minifiers rename classes, and callers match on `name`.
    this.name = 'TokenBrokerError';
    this.code = code;
  }
}

/**
 * The problem members the client reads. Each may be missing: API Gateway
 * answers some errors itself, with no problem body; and `code` may be one the
 * broker added after this client was built.
 */
type ProblemFields = Omit<Partial<Problem>, 'code'> & { readonly code?: string };

/** The broker answered with an error status. */
export class TokenBrokerHttpError extends TokenBrokerError {
  /** HTTP status. */
  readonly status: number;
  /** The problem's human-readable detail. */
  readonly detail: string;
  /** With `INVALID_REQUEST`: the JSON path of the offending field. */
  readonly field: string | undefined;
  /** With `FORBIDDEN_DEVICE`: the devices refused. */
  readonly devices: readonly DeviceKey[] | undefined;
  /** The broker's request id, to quote to operators. */
  readonly requestId: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: ProblemFields, retryAfterSeconds?: number) {
    const detail = problem.detail ?? `HTTP ${status}`;
    super(problem.code ?? CLIENT_FAILURE_CODES.unexpectedResponse, detail);
    this.name = 'TokenBrokerHttpError';
    this.status = status;
    this.detail = detail;
    this.field = problem.field;
    this.devices = problem.devices;
    this.requestId = problem.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Outcome = { token: IssuedToken; expiresAtMs?: number } | { failure: DeviceFailure };

interface Waiter {
  readonly device: DeviceKey;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

const idOf = deviceId;

/** The 400 the broker would answer for the first malformed device, if any. */
function checkDevices(devices: readonly DeviceKey[]): void {
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

/**
 * API Gateway answers two errors itself, before the broker runs, with a plain
 * `{"message": …}` body: the JWT authorizer's 401 and stage throttling's 429.
 */
function gatewayProblem(status: number): ProblemFields {
  if (status === 401) {
    return { code: ERROR_CODE.UNAUTHENTICATED, detail: 'The bearer token is missing or invalid' };
  }
  if (status === 429) return { code: 'THROTTLED', detail: 'Too many requests; retry later' };
  return {};
}

/** Options of one {@link BrowserTokenClient.getTokens} call. */
export interface GetTokensOptions {
  /**
   * The player found its token rejected: ask the broker to log in again for
   * these devices. Skips this client's cache and any request in flight, and
   * goes in a request of its own; the new tokens replace the cached ones.
   * @default false
   */
  readonly refresh?: boolean;
}

/** A device's outcome in a broker answer; a device the answer left out got no token. */
const outcomeOf = (outcomes: Map<string, Outcome> | undefined, device: DeviceKey): Outcome =>
  outcomes?.get(idOf(device)) ?? {
    failure: {
      ...device,
      code: DEVICE_FAILURE_CODES.noToken,
      message: 'The broker returned nothing for this device',
    },
  };

/** Gets visual tokens from the broker, with caching, coalescing and batching. */
export class BrowserTokenClient {
  readonly #options: BrowserTokenClientOptions;
  readonly #url: string;
  readonly #cache = new Map<string, { token: IssuedToken; expiresAtMs: number }>();
  readonly #inFlight = new Map<string, Promise<Outcome>>();
  #queue: Waiter[] = [];

  constructor(options: BrowserTokenClientOptions) {
    this.#options = options;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/tokens`;
  }

  /**
   * Tokens for `devices`: from the cache when valid long enough, else from
   * the broker, together with every other device asked for in this task.
   * A malformed device is refused before sending, with the 400 the broker
   * would answer, so that it cannot fail the other calls batched with it.
   * @throws TokenBrokerHttpError when the broker answers an error, TokenBrokerError otherwise.
   */
  async getTokens(
    devices: readonly DeviceKey[],
    options: GetTokensOptions = {},
  ): Promise<TokenResult> {
    checkDevices(devices);
    const now = (this.#options.now ?? Date.now)();
    const minMs = (this.#options.minValiditySeconds ?? 300) * 1000;
    const ids = [...new Set(devices.map(idOf))];
    const byId = new Map(devices.map((d) => [idOf(d), d]));
    const outcomes = options.refresh
      ? await this.#refresh(ids.map((id) => byId.get(id) as DeviceKey))
      : await Promise.all(
          ids.map((id): Outcome | Promise<Outcome> => {
            const hit = this.#cache.get(id);
            if (hit && hit.expiresAtMs - now >= minMs) return hit;
            return this.#inFlight.get(id) ?? this.#enqueue(id, byId.get(id) as DeviceKey);
          }),
        );
    const at = (this.#options.now ?? Date.now)();
    const result: TokenResult = { tokens: [], failures: [] };
    for (const o of outcomes) {
      if ('failure' in o) result.failures.push(o.failure);
      else
        result.tokens.push({
          ...o.token,
          expiresIn: Math.max(0, Math.floor(((o.expiresAtMs ?? 0) - at) / 1000)),
        });
    }
    return result;
  }

  /** Forgets every cached token, e.g. when the user signs out. */
  clear(): void {
    this.#cache.clear();
  }

  /** A refresh, sent at once in requests of its own, bypassing cache and sharing. */
  async #refresh(devices: DeviceKey[]): Promise<Outcome[]> {
    const size = this.#options.maxBatchSize ?? 50;
    const batches: DeviceKey[][] = [];
    for (let i = 0; i < devices.length; i += size) batches.push(devices.slice(i, i + size));
    const answers = await Promise.all(batches.map((batch) => this.#request(batch, true)));
    return batches.flatMap((batch, i) => batch.map((d) => outcomeOf(answers[i], d)));
  }

  #enqueue(id: string, device: DeviceKey): Promise<Outcome> {
    const promise = new Promise<Outcome>((resolve, reject) => {
      if (this.#queue.length === 0) setTimeout(() => this.#flush(), 0);
      this.#queue.push({ device, resolve, reject });
    });
    this.#inFlight.set(id, promise);
    const forget = () => this.#inFlight.delete(id);
    promise.then(forget, forget);
    return promise;
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const size = this.#options.maxBatchSize ?? 50;
    for (let i = 0; i < queue.length; i += size) this.#send(queue.slice(i, i + size), true);
  }

  #send(batch: Waiter[], mayRetry: boolean): void {
    this.#request(batch.map((w) => w.device)).then(
      (outcomes) => {
        for (const w of batch) w.resolve(outcomeOf(outcomes, w.device));
      },
      (error) => {
        // One caller's forbidden device must not fail the callers it was batched with.
        const refused = new Set((error as TokenBrokerHttpError).devices?.map(idOf));
        const rest = mayRetry ? batch.filter((w) => !refused.has(idOf(w.device))) : [];
        for (const w of batch) if (!rest.includes(w)) w.reject(error);
        if (refused.size > 0 && rest.length > 0) this.#send(rest, false);
        else for (const w of rest) w.reject(error);
      },
    );
  }

  async #request(devices: DeviceKey[], refresh = false): Promise<Map<string, Outcome>> {
    const { fetch: doFetch = globalThis.fetch } = this.#options;
    const accessToken = await this.#options.getAccessToken();
    let response: Response;
    try {
      response = await doFetch(this.#url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json, application/problem+json',
        },
        body: JSON.stringify(refresh ? { devices, refresh } : { devices }),
      });
    } catch (cause) {
      throw new TokenBrokerError(
        CLIENT_FAILURE_CODES.network,
        `The broker could not be reached: ${cause}`,
        {
          cause,
        },
      );
    }
    const body = await response.json().catch(() => undefined);
    if (!response.ok || !body || !Array.isArray(body.tokens)) {
      const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
      const problem: ProblemFields =
        /problem\+json/.test(response.headers.get('content-type') ?? '') && body
          ? body
          : gatewayProblem(response.status);
      throw new TokenBrokerHttpError(
        response.status,
        problem,
        Number.isFinite(retryAfter) ? retryAfter : undefined,
      );
    }
    // Expiry on the client's own clock, from `expiresIn`: immune to clock skew.
    const now = (this.#options.now ?? Date.now)();
    const out = new Map<string, Outcome>();
    for (const token of body.tokens as IssuedToken[]) {
      const entry = { token, expiresAtMs: now + token.expiresIn * 1000 };
      this.#cache.set(idOf(token), entry);
      out.set(idOf(token), entry);
    }
    for (const failure of (body.failures ?? []) as DeviceFailure[]) {
      out.set(idOf(failure), { failure });
    }
    return out;
  }
}
