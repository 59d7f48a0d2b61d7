/**
 * Client for other Lambdas: invokes the broker function directly with
 * `InvokeCommand` and maps its errors back to the broker's stable codes.
 * With `cache`, it holds tokens in memory until shortly before expiry and
 * shares one invocation among concurrent asks for a device, so a warm
 * container does not invoke the broker once per call. To ship it, copy
 * this file, `invoke-token-broker.ts`, `held-tokens.ts` and the contract
 * (`functions/token-broker/contract.ts`), which imports nothing. Pair it with
 * the TokenBroker construct's `grantInvoke(fn)`.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  DEVICE_FAILURE_CODES,
  DEVICE_PATTERNS,
  type DeviceFailure,
  type DeviceGrantsResult,
  type DeviceKey,
  deviceId,
  ERROR_CODE,
  type IssuedToken,
  type TokenResult,
} from '../functions/token-broker/contract.ts';
import { HeldTokens } from './held-tokens.ts';
import {
  type GrantsPrincipal,
  type InvokeOptions,
  invokeListDevices,
  invokeTokenBroker,
  TokenBrokerInvokeError,
} from './invoke-token-broker.ts';

export {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  DEVICE_FAILURE_CODES,
  type DeviceFailure,
  type DeviceFailureCode,
  type DeviceGrantsResult,
  type DeviceKey,
  ERROR_CODE,
  type ErrorCode,
  type IssuedToken,
  RETRY_LATER_CODES,
  type TokenRequest,
  type TokenResult,
} from '../functions/token-broker/contract.ts';
export {
  type GrantsPrincipal,
  type InvokeFailureCode,
  type InvokeOptions,
  invokeListDevices,
  invokeTokenBroker,
  TokenBrokerInvokeError,
} from './invoke-token-broker.ts';

/** Options of the in-memory cache of {@link LambdaTokenClient}. */
export interface LambdaTokenCacheOptions {
  /**
   * A held token is used only with at least this many seconds left; matches
   * the broker's `MIN_TOKEN_VALIDITY_SECONDS`.
   * @default 300
   */
  readonly minValiditySeconds?: number;
  /**
   * Most tokens held; the least recently used goes first.
   * @default 1000
   */
  readonly maxEntries?: number;
}

/** Options of {@link LambdaTokenClient}. */
export interface LambdaTokenClientOptions {
  /** Name, ARN or partial ARN of the broker function: the stack's `FunctionName` output. */
  readonly functionName: string;
  /**
   * Version or alias to invoke.
   * @default the unqualified function ($LATEST)
   */
  readonly qualifier?: string;
  /**
   * The SDK client; inject one to share it, set a region or mock it.
   * @default new LambdaClient({})
   */
  readonly client?: LambdaClient;
  /**
   * Hold tokens in this container's memory and share invocations among
   * concurrent calls; `true` for the defaults.
   * @default false: every call invokes the broker
   */
  readonly cache?: boolean | LambdaTokenCacheOptions;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

type Outcome = { token: IssuedToken; expiresAtMs: number } | { failure: DeviceFailure };

const idOf = deviceId;

/** Devices the broker would refuse, which go to it unshared so that its own 400 comes back. */
const wellFormed = (devices: readonly DeviceKey[]) =>
  Array.isArray(devices) &&
  devices.length > 0 &&
  devices.every(
    (d) =>
      typeof d?.productKey === 'string' &&
      typeof d.deviceName === 'string' &&
      DEVICE_PATTERNS.productKey.test(d.productKey) &&
      DEVICE_PATTERNS.deviceName.test(d.deviceName),
  );

/** An error of the other call whose invocation was shared, not of the devices this call asked for. */
const isTheirs = (error: unknown) =>
  (error as Error)?.name === 'AbortError' ||
  (error instanceof TokenBrokerInvokeError &&
    (error.code === ERROR_CODE.FORBIDDEN_DEVICE || error.code === ERROR_CODE.INVALID_REQUEST));

/** Rejects with the signal's reason as soon as it aborts. */
const abortable = <T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
  signal === undefined
    ? work
    : Promise.race([
        work,
        new Promise<never>((_resolve, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);

/**
 * A broker function bound to its name and SDK client.
 * @example
 * const broker = new LambdaTokenClient({
 *   functionName: process.env.TOKEN_BROKER_FUNCTION_NAME, // the stack's FunctionName output
 *   cache: true,
 * });
 * const { tokens, failures } = await broker.getTokens([{ productKey, deviceName }]);
 */
export class LambdaTokenClient {
  readonly #options: LambdaTokenClientOptions;
  readonly #client: LambdaClient;
  readonly #held: HeldTokens | undefined;
  readonly #minMs: number;
  readonly #inFlight = new Map<string, Promise<Outcome>>();

  constructor(options: LambdaTokenClientOptions) {
    this.#options = options;
    this.#client = options.client ?? new LambdaClient({});
    const cache = options.cache === true ? {} : options.cache || undefined;
    this.#held = cache && new HeldTokens(cache.maxEntries ?? 1000);
    this.#minMs = (cache?.minValiditySeconds ?? 300) * 1000;
  }

  /**
   * Tokens for `devices`: with `cache`, from memory when valid long enough,
   * else from one invocation for the rest, shared with concurrent calls.
   * See {@link invokeTokenBroker} for the errors.
   */
  async getTokens(
    devices: readonly DeviceKey[],
    options: InvokeOptions = {},
  ): Promise<TokenResult> {
    if (this.#held === undefined || options.refresh || !wellFormed(devices)) {
      return this.#invoke(devices, options);
    }
    const now = this.#now();
    const unique = [...new Map(devices.map((d) => [idOf(d), d])).values()];
    const outcomes = new Map<string, Outcome>();
    const joined: DeviceKey[] = [];
    const misses: DeviceKey[] = [];
    for (const device of unique) {
      const hit = this.#held.get(idOf(device), now, this.#minMs);
      if (hit) outcomes.set(idOf(device), hit);
      else (this.#inFlight.has(idOf(device)) ? joined : misses).push(device);
    }
    const mine = misses.length > 0 ? this.#share(misses, options) : [];
    const theirs = joined.map((d) => this.#inFlight.get(idOf(d)) as Promise<Outcome>);
    const settled = await abortable(Promise.allSettled([...mine, ...theirs]), options.signal);
    const again: DeviceKey[] = [];
    settled.forEach((s, i) => {
      const device = (i < mine.length ? misses[i] : joined[i - mine.length]) as DeviceKey;
      if (s.status === 'fulfilled') outcomes.set(idOf(device), s.value);
      else if (i >= mine.length && isTheirs(s.reason)) again.push(device);
      else throw s.reason;
    });
    // A shared invocation failed for its own caller's reasons: ask for ours on our own.
    const retried = again.length > 0 ? await Promise.all(this.#share(again, options)) : [];
    again.forEach((d, i) => {
      outcomes.set(idOf(d), retried[i] as Outcome);
    });
    return this.#result(unique.map((d) => outcomes.get(idOf(d)) as Outcome));
  }

  /**
   * The directory grants of a user and its groups, invoking with
   * `{grantsFor: {sub, groups}}`: what a backend would let that user ask
   * tokens for. A direct invocation has no JWT, so claim grants are not in
   * it; without GRANTS_TABLE the answer is empty. Never cached.
   * @throws as {@link invokeTokenBroker}; `GRANTS_UNAVAILABLE` (retryable) when
   *   the directory cannot be read.
   * @example
   * const { all, products, devices } = await broker.listDevices({ sub: 'alice', groups: ['ops'] });
   */
  listDevices(
    principal: GrantsPrincipal,
    options: Pick<InvokeOptions, 'signal'> = {},
  ): Promise<DeviceGrantsResult> {
    const { qualifier } = this.#options;
    return invokeListDevices(this.#client, this.#options.functionName, principal, {
      ...options,
      ...(qualifier === undefined ? {} : { qualifier }),
    });
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** One invocation for `devices`; its tokens are held when the cache is on. */
  async #invoke(devices: readonly DeviceKey[], options: InvokeOptions): Promise<TokenResult> {
    const { qualifier } = this.#options;
    const result = await invokeTokenBroker(this.#client, this.#options.functionName, devices, {
      ...options,
      ...(qualifier === undefined ? {} : { qualifier }),
    });
    const now = this.#now();
    for (const token of result.tokens) this.#held?.set(token, now);
    return result;
  }

  /** One invocation for `devices`, each device's outcome in flight for other calls to join. */
  #share(devices: DeviceKey[], options: InvokeOptions): Promise<Outcome>[] {
    const invoked = this.#invoke(devices, options);
    return devices.map((device) => {
      const id = idOf(device);
      const outcome = invoked.then(({ tokens, failures }): Outcome => {
        const token = tokens.find((t) => idOf(t) === id);
        if (token) return { token, expiresAtMs: this.#now() + token.expiresIn * 1000 };
        const failure = failures.find((f) => idOf(f) === id);
        return {
          failure: failure ?? {
            ...device,
            code: DEVICE_FAILURE_CODES.noToken,
            message: 'The broker returned nothing for this device',
          },
        };
      });
      this.#inFlight.set(id, outcome);
      const forget = () => {
        if (this.#inFlight.get(id) === outcome) this.#inFlight.delete(id);
      };
      outcome.then(forget, forget);
      return outcome;
    });
  }

  #result(outcomes: readonly Outcome[]): TokenResult {
    const now = this.#now();
    const result: TokenResult = { tokens: [], failures: [] };
    for (const o of outcomes) {
      if ('failure' in o) result.failures.push(o.failure);
      else {
        const expiresIn = Math.max(0, Math.floor((o.expiresAtMs - now) / 1000));
        result.tokens.push({ ...o.token, expiresIn });
      }
    }
    return result;
  }
}
