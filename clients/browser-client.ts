/**
 * Client of the broker's `POST /tokens` for browsers and Node, on `fetch`
 * only. It caches tokens until shortly before expiry, shares one request
 * among concurrent asks for a device, and gathers the devices asked for in
 * the same task into one request. Depends on nothing from the server, so it
 * can ship on its own (`npm run build:client` → `dist/browser-client.js`).
 */

/** A device as the provider names it. */
export interface DeviceKey {
  /** Product key of the device. */
  readonly productKey: string;
  /** Device name within the product. */
  readonly deviceName: string;
}

/** A token for one device. */
export interface VisualToken extends DeviceKey {
  /** The provider's token; a secret, never log it. */
  readonly visualToken: string;
  /** Expiry, ISO 8601. */
  readonly expiresAt: string;
  /** Whole seconds left until expiry, as of when it was handed out. */
  readonly expiresIn: number;
}

/** A device that got no token, while the request as a whole succeeded. */
export interface DeviceFailure extends DeviceKey {
  /** `UPSTREAM_NO_TOKEN` or `UPSTREAM_INVALID_TOKEN`. */
  readonly code: string;
  /** Human-readable reason. */
  readonly message: string;
}

/** The answer of {@link TokenBrokerClient.getTokens}. */
export interface TokensResult {
  /** Tokens, in the order the devices were asked for (duplicates once). */
  readonly tokens: VisualToken[];
  /** Devices that got no token; they are asked for again on the next call. */
  readonly failures: DeviceFailure[];
}

/** Options of {@link TokenBrokerClient}. */
export interface TokenBrokerClientOptions {
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

/** Fields of an RFC 9457 problem the broker answers with. */
export interface Problem {
  /** Problem type URI. */
  readonly type?: string;
  /** Summary of the problem kind. */
  readonly title?: string;
  /** HTTP status. */
  readonly status?: number;
  /** What went wrong, for people. */
  readonly detail?: string;
  /** Stable problem code, e.g. `INVALID_REQUEST`. */
  readonly code?: string;
  /** The broker's request id. */
  readonly requestId?: string;
  /** With `INVALID_REQUEST`: the offending field. */
  readonly field?: string;
  /** With `FORBIDDEN_DEVICE`: the devices refused. */
  readonly devices?: DeviceKey[];
}

/** The broker answered with an error status. */
export class TokenBrokerHttpError extends TokenBrokerError {
  /** HTTP status. */
  readonly status: number;
  /** The problem's human-readable detail. */
  readonly detail: string;
  /** With `INVALID_REQUEST`: the JSON path of the offending field. */
  readonly field: string | undefined;
  /** With `FORBIDDEN_DEVICE`: the devices refused. */
  readonly devices: DeviceKey[] | undefined;
  /** The broker's request id, to quote to operators. */
  readonly requestId: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: Problem, retryAfterSeconds?: number) {
    const detail = problem.detail ?? `HTTP ${status}`;
    super(problem.code ?? 'UNEXPECTED_RESPONSE', detail);
    this.name = 'TokenBrokerHttpError';
    this.status = status;
    this.detail = detail;
    this.field = problem.field;
    this.devices = problem.devices;
    this.requestId = problem.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Outcome = { token: VisualToken; expiresAtMs?: number } | { failure: DeviceFailure };

interface Waiter {
  readonly device: DeviceKey;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

const idOf = (d: DeviceKey) => `${d.productKey}/${d.deviceName}`;

/** The broker's rules for a device, checked before a device joins a shared batch. */
export const DEVICE_PATTERNS = {
  productKey: /^[A-Za-z0-9]{1,64}$/,
  deviceName: /^[A-Za-z0-9_.:@-]{1,128}$/,
} as const;

/** The 400 the broker would answer for the first malformed device, if any. */
function checkDevices(devices: readonly DeviceKey[]): void {
  devices.forEach((device, i) => {
    for (const key of ['productKey', 'deviceName'] as const) {
      const value: unknown = device?.[key];
      if (typeof value !== 'string' || !DEVICE_PATTERNS[key].test(value)) {
        const field = `devices[${i}].${key}`;
        const detail = `${field}: must match ${DEVICE_PATTERNS[key].source}`;
        throw new TokenBrokerHttpError(400, { code: 'INVALID_REQUEST', detail, field });
      }
    }
  });
}

/**
 * API Gateway answers two errors itself, before the broker runs, with a plain
 * `{"message": …}` body: the JWT authorizer's 401 and stage throttling's 429.
 */
function gatewayProblem(status: number): Problem {
  if (status === 401) {
    return { code: 'UNAUTHENTICATED', detail: 'The bearer token is missing or invalid' };
  }
  if (status === 429) return { code: 'THROTTLED', detail: 'Too many requests; retry later' };
  return {};
}

/** Gets visual tokens from the broker, with caching, coalescing and batching. */
export class TokenBrokerClient {
  readonly #options: TokenBrokerClientOptions;
  readonly #url: string;
  readonly #cache = new Map<string, { token: VisualToken; expiresAtMs: number }>();
  readonly #inFlight = new Map<string, Promise<Outcome>>();
  #queue: Waiter[] = [];

  constructor(options: TokenBrokerClientOptions) {
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
  async getTokens(devices: readonly DeviceKey[]): Promise<TokensResult> {
    checkDevices(devices);
    const now = (this.#options.now ?? Date.now)();
    const minMs = (this.#options.minValiditySeconds ?? 300) * 1000;
    const ids = [...new Set(devices.map(idOf))];
    const byId = new Map(devices.map((d) => [idOf(d), d]));
    const outcomes = await Promise.all(
      ids.map((id): Outcome | Promise<Outcome> => {
        const hit = this.#cache.get(id);
        if (hit && hit.expiresAtMs - now >= minMs) return hit;
        return this.#inFlight.get(id) ?? this.#enqueue(id, byId.get(id) as DeviceKey);
      }),
    );
    const at = (this.#options.now ?? Date.now)();
    const result: TokensResult = { tokens: [], failures: [] };
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
        for (const w of batch) {
          w.resolve(
            outcomes.get(idOf(w.device)) ?? {
              failure: {
                ...w.device,
                code: 'UPSTREAM_NO_TOKEN',
                message: 'The broker returned nothing for this device',
              },
            },
          );
        }
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

  async #request(devices: DeviceKey[]): Promise<Map<string, Outcome>> {
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
        body: JSON.stringify({ devices }),
      });
    } catch (cause) {
      throw new TokenBrokerError('NETWORK_ERROR', `The broker could not be reached: ${cause}`, {
        cause,
      });
    }
    const body = await response.json().catch(() => undefined);
    if (!response.ok || !body || !Array.isArray(body.tokens)) {
      const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
      const problem: Problem =
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
    for (const token of body.tokens as VisualToken[]) {
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
