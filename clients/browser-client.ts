/**
 * Client of the broker's `POST /tokens` and `GET /tokens/devices` for
 * browsers and Node, on `fetch` only. It caches tokens until shortly before
 * expiry, shares one request among concurrent asks for a device, gathers
 * the devices asked for in the same task into one request, retries a 503
 * or 429 within the caller's deadline, and can renew held tokens before
 * they expire. It imports only
 * its own files in clients/ and the wire contract, which imports nothing, so
 * it bundles on its own (`npm run build:client` → `dist/browser-client.js`
 * and `.d.ts`).
 */

import {
  DEVICES_PATH,
  type DeviceGrantsResult,
  type DeviceKey,
  deviceId,
  TOKENS_PATH,
  type TokenResult,
} from '../functions/token-broker/contract.ts';
import { Batch, Call } from './browser-call.ts';
import type { TokenBrokerHttpError } from './browser-client-errors.ts';
import type {
  BrowserTokenClientOptions,
  GetTokensOptions,
  ListDevicesOptions,
} from './browser-client-options.ts';
import {
  checkDevices,
  type Outcome,
  outcomeOf,
  type Pending,
  request,
  resultOf,
  type Sender,
  type Waiter,
} from './browser-request.ts';
import { type HeldToken, HeldTokens } from './held-tokens.ts';

export * from './browser-client-exports.ts';

const idOf = deviceId;
const keyOf = ({ productKey, deviceName }: DeviceKey): DeviceKey => ({ productKey, deviceName });

/**
 * Gets visual tokens from the broker, with caching, coalescing, batching,
 * retries and optional renewal.
 * @example
 * const client = new BrowserTokenClient({
 *   baseUrl: 'https://api.example.com',
 *   // Cognito (Amplify): the ID token, which carries custom:devices
 *   getBearerToken: async () => (await fetchAuthSession()).tokens?.idToken?.toString() ?? '',
 * });
 * const { tokens, failures } = await client.getTokens([{ productKey, deviceName }]);
 */
export class BrowserTokenClient {
  readonly #options: BrowserTokenClientOptions;
  readonly #base: string;
  readonly #sender: Sender;
  readonly #held = new HeldTokens();
  readonly #inFlight = new Map<string, Pending>();
  #queue: Waiter[] = [];
  #forming: Batch | undefined;
  /** Devices whose renewal failed: asked for again once below minValiditySeconds, not before. */
  readonly #noRenew = new Set<string>();
  #renewTimer: ReturnType<typeof setTimeout> | undefined;

  /** @throws TypeError naming the option when `getBearerToken` or `renewBeforeSeconds` is unusable. */
  constructor(options: BrowserTokenClientOptions) {
    const bearer = options.getBearerToken ?? options.getAccessToken;
    if (typeof bearer !== 'function') {
      throw new TypeError('BrowserTokenClientOptions.getBearerToken: must be a function');
    }
    const renew = options.renewBeforeSeconds;
    if (renew !== undefined && !(renew * 1000 > this.#minMs(options))) {
      throw new TypeError(
        'BrowserTokenClientOptions.renewBeforeSeconds: must be more than minValiditySeconds',
      );
    }
    this.#options = options;
    this.#sender = { options, bearer, now: () => this.#now() };
    this.#base = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Tokens for `devices`: from the cache when valid long enough, else from
   * the broker, together with every other device asked for in this task.
   * A malformed device is refused before sending, with the 400 the broker
   * would answer, so that it cannot fail the other calls batched with it.
   * @throws TokenBrokerHttpError when the broker answers an error;
   *   TokenBrokerError with code `TIMEOUT` after `timeoutMs`, `NETWORK_ERROR` or
   *   `BEARER_TOKEN_UNAVAILABLE`; the signal's reason when `signal` aborts.
   */
  async getTokens(
    devices: readonly DeviceKey[],
    options: GetTokensOptions = {},
  ): Promise<TokenResult> {
    checkDevices(devices);
    const call = this.#call(options);
    const unique = [...new Map(devices.map((d) => [idOf(d), d])).values()];
    const outcomes = await call.run(
      options.refresh
        ? this.#refresh(unique, call)
        : Promise.all(unique.map((device) => this.#outcome(device, call))),
    );
    return resultOf(outcomes, this.#now());
  }

  /**
   * What the caller may ask tokens for (`GET /tokens/devices`), claim and
   * directory grants together; never cached, so a revoked grant is gone from
   * the next answer. Bearer token, timeout and retries as {@link getTokens}.
   * @throws as {@link getTokens}.
   * @example const { all, products, devices } = await client.listDevices();
   */
  async listDevices(options: ListDevicesOptions = {}): Promise<DeviceGrantsResult> {
    const call = this.#call(options);
    const answer = request(this.#sender, this.#base + DEVICES_PATH, 'devices', this.#sent(call));
    return call.run(answer as Promise<DeviceGrantsResult>);
  }

  /** Forgets every cached token and stops renewing, e.g. when the user signs out. */
  clear(): void {
    this.#held.clear();
    this.#noRenew.clear();
    clearTimeout(this.#renewTimer);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #call(options: ListDevicesOptions): Call {
    options.signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 20_000;
    return new Call(this.#now(), timeoutMs, options.signal);
  }

  /** A batch of its own for `call`, sent at once. */
  #sent(call: Call): Batch {
    const batch = new Batch();
    call.wait(batch);
    batch.send();
    return batch;
  }

  #minMs(options = this.#options): number {
    return (options.minValiditySeconds ?? 300) * 1000;
  }

  /** When a held token is due for renewal: `renewBeforeSeconds` before expiry, or halfway, if later. */
  #renewAt(held: HeldToken): number {
    const early = held.expiresAtMs - (this.#options.renewBeforeSeconds ?? 0) * 1000;
    return Math.max(early, held.receivedAtMs + (held.expiresAtMs - held.receivedAtMs) / 2);
  }

  #outcome(device: DeviceKey, call: Call): Outcome | Promise<Outcome> {
    const id = idOf(device);
    const now = this.#now();
    const hit = this.#held.get(id, now, this.#minMs());
    if (hit) {
      if (this.#options.renewBeforeSeconds !== undefined && this.#renewAt(hit) <= now) {
        this.#renew([device]);
      }
      return hit;
    }
    const pending = this.#inFlight.get(id);
    if (pending && !pending.batch.signal.aborted) {
      call.wait(pending.batch);
      return pending.promise;
    }
    return this.#enqueue(device, call);
  }

  /** A refresh, sent at once in requests of its own, bypassing cache and sharing. */
  async #refresh(devices: DeviceKey[], call: Call): Promise<Outcome[]> {
    const size = this.#options.maxBatchSize ?? 50;
    const batch = this.#sent(call);
    const chunks: DeviceKey[][] = [];
    for (let i = 0; i < devices.length; i += size) chunks.push(devices.slice(i, i + size));
    const answers = await Promise.all(chunks.map((c) => this.#request(c, batch, true)));
    return chunks.flatMap((chunk, i) => chunk.map((d) => outcomeOf(answers[i], d)));
  }

  /** Renews `devices` in the background, and reports to the renewal callbacks. */
  #renew(devices: readonly DeviceKey[]): void {
    const due = devices.filter((d) => !this.#inFlight.has(idOf(d)) && !this.#noRenew.has(idOf(d)));
    if (due.length === 0) return;
    const call = new Call(this.#now(), this.#options.timeoutMs ?? 20_000);
    const { onRenewed, onRenewalError } = this.#options;
    call.run(Promise.all(due.map((d) => this.#enqueue(d, call)))).then(
      (outcomes) => {
        const result = resultOf(outcomes, this.#now());
        for (const f of result.failures) this.#noRenew.add(idOf(f));
        onRenewed?.(result);
        this.#schedule();
      },
      (error: unknown) => {
        for (const d of due) this.#noRenew.add(idOf(d));
        onRenewalError?.(error, due);
        this.#schedule();
      },
    );
  }

  /** Arms the renewal timer for the held token due first, when `onRenewed` listens. */
  #schedule(): void {
    clearTimeout(this.#renewTimer);
    if (this.#options.onRenewed === undefined || this.#options.renewBeforeSeconds === undefined) {
      return;
    }
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, held] of this.#held.entries()) {
      const at = this.#renewAt(held);
      // One due and in flight is being renewed; its answer arms the timer again.
      if (!this.#noRenew.has(id) && !(at <= now && this.#inFlight.has(id))) {
        next = Math.min(next, at);
      }
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#renewTimer = setTimeout(() => {
      const now = this.#now();
      const due = [...this.#held.entries()].filter(([, held]) => this.#renewAt(held) <= now);
      this.#renew(due.map(([, held]) => keyOf(held.token)));
      this.#schedule();
    }, next - now);
    // In Node, a renewal far ahead must not keep the process alive.
    (this.#renewTimer as { unref?: () => void }).unref?.();
  }

  #enqueue(device: DeviceKey, call: Call): Promise<Outcome> {
    const id = idOf(device);
    if (this.#queue.length === 0) {
      this.#forming = new Batch();
      setTimeout(() => this.#flush(), 0);
    }
    const batch = this.#forming as Batch;
    call.wait(batch);
    const promise = new Promise<Outcome>((resolve, reject) => {
      this.#queue.push({ device, resolve, reject });
    });
    const pending = { promise, batch };
    this.#inFlight.set(id, pending);
    const forget = () => {
      if (this.#inFlight.get(id) === pending) this.#inFlight.delete(id);
    };
    promise.then(forget, forget);
    return promise;
  }

  #flush(): void {
    const queue = this.#queue;
    const batch = this.#forming as Batch;
    this.#queue = [];
    this.#forming = undefined;
    batch.send();
    const size = this.#options.maxBatchSize ?? 50;
    for (let i = 0; i < queue.length; i += size) this.#send(queue.slice(i, i + size), batch, true);
  }

  #send(waiters: Waiter[], batch: Batch, mayRetry: boolean): void {
    this.#request(
      waiters.map((w) => w.device),
      batch,
    ).then(
      (outcomes) => {
        for (const w of waiters) w.resolve(outcomeOf(outcomes, w.device));
      },
      (error) => {
        // One caller's forbidden device must not fail the callers it was batched with.
        const refused = new Set((error as TokenBrokerHttpError).devices?.map(idOf));
        const rest = mayRetry ? waiters.filter((w) => !refused.has(idOf(w.device))) : [];
        for (const w of waiters) if (!rest.includes(w)) w.reject(error);
        if (refused.size > 0 && rest.length > 0) this.#send(rest, batch, false);
        else for (const w of rest) w.reject(error);
      },
    );
  }

  /** One `POST /tokens`, its tokens held. */
  async #request(devices: DeviceKey[], batch: Batch, refresh = false) {
    const body = JSON.stringify(refresh ? { devices, refresh } : { devices });
    const answer = await request(this.#sender, this.#base + TOKENS_PATH, 'tokens', batch, body);
    return this.#hold(answer as TokenResult);
  }

  /** Holds the answer's tokens, expiring on this clock from `expiresIn`: immune to clock skew. */
  #hold(body: TokenResult): Map<string, Outcome> {
    const now = this.#now();
    const out = new Map<string, Outcome>();
    for (const token of body.tokens) {
      out.set(idOf(token), this.#held.set(token, now));
      this.#noRenew.delete(idOf(token));
    }
    for (const failure of body.failures ?? []) out.set(idOf(failure), { failure });
    this.#schedule();
    return out;
  }
}
