/**
 * The options of the browser client and of one of its calls. Part of
 * `clients/browser-client.ts`, which re-exports them.
 */
import type { DeviceKey, TokenResult } from '../functions/token-broker/contract.ts';

/** Options of {@link BrowserTokenClient}. */
export interface BrowserTokenClientOptions {
  /** Where the broker is, e.g. `https://api.example.com` or `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /**
   * The bearer JWT the broker's authorizer accepts, called once per request,
   * so it may refresh. With the stack's Cognito user pool that is the **ID
   * token**, the one that carries `custom:devices` (Amplify:
   * `(await fetchAuthSession()).tokens?.idToken?.toString()`); with Auth0,
   * Okta or Entra ID, the access token for the broker's audience (Auth0 SPA
   * SDK: `auth0.getTokenSilently()`). A throw or an empty string fails the
   * call with `BEARER_TOKEN_UNAVAILABLE`, the thrown error as `cause`.
   */
  readonly getBearerToken?: () => string | Promise<string>;
  /**
   * The old name of {@link getBearerToken}, still read when that is unset.
   * @deprecated Use `getBearerToken`: with Cognito the broker takes the ID token, not the access token.
   */
  readonly getAccessToken?: () => string | Promise<string>;
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
  /**
   * How long a call waits in all, retries included, before it fails with
   * `TIMEOUT`. Longer than the function's own timeout (15 s by default), so
   * that the broker's own error arrives first.
   * @default 20000
   */
  readonly timeoutMs?: number;
  /**
   * Most attempts of one request, the first included, on a `503` or `429`.
   * Each waits what `Retry-After` asks (seconds or an HTTP date), else a
   * jittered backoff from 0.5 s; a wait past the call's deadline is not
   * taken, and the error is thrown at once instead.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Renew a held token once it has fewer than this many seconds left (or
   * is halfway through its life, if later), more than `minValiditySeconds`:
   * `getTokens` then answers with the held token at once and renews it in
   * the background. With {@link onRenewed} set, the client also renews every
   * held token at that point by itself, until {@link BrowserTokenClient.clear}.
   * @default no renewal: a token is asked for again below minValiditySeconds
   */
  readonly renewBeforeSeconds?: number;
  /**
   * Called with the new tokens of each background renewal (and the devices
   * that got none), so a player holding a token near its end can be given
   * the new one. Setting it makes the client renew held tokens by itself.
   */
  readonly onRenewed?: (result: TokenResult) => void;
  /**
   * Called when a background renewal fails; the held tokens stay in use
   * while valid, and are asked for again below `minValiditySeconds`.
   */
  readonly onRenewalError?: (error: unknown, devices: readonly DeviceKey[]) => void;
}

/** Options of any one call of {@link BrowserTokenClient}. */
export interface BrokerCallOptions {
  /**
   * Aborts this call, which then rejects with the signal's reason. A request
   * shared with other calls goes on for them; it is aborted once no call
   * waits on it.
   */
  readonly signal?: AbortSignal;
  /**
   * This call's {@link BrowserTokenClientOptions.timeoutMs}.
   * @default the client's timeoutMs
   */
  readonly timeoutMs?: number;
}

/** Options of one {@link BrowserTokenClient.listDevices} call. */
export type ListDevicesOptions = BrokerCallOptions;

/** Options of one {@link BrowserTokenClient.getTokens} call. */
export interface GetTokensOptions extends BrokerCallOptions {
  /**
   * The player found its token rejected: ask the broker to log in again for
   * these devices. Skips this client's cache and any request in flight, and
   * goes in a request of its own; the new tokens replace the cached ones.
   * @default false
   */
  readonly refresh?: boolean;
}
