/**
 * The provider's User Login API (`POST /v1.0/openapi/visual/d/user/login`):
 * sends one login for a batch of devices and returns the tokens it got,
 * checked against what was asked. See docs/upstream.md for the contract.
 */
import type { Credentials } from '../credentials.ts';
import { type DeviceKey, deviceId } from '../device.ts';
import { UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../errors.ts';
import { gatewayAuthHeaders, type SigningContext } from './gateway-auth.ts';
import { type HttpTransport, nodeHttpTransport, type TransportResponse } from './http-transport.ts';

import { summariseRefusal } from './refusal-summary.ts';

export { REFUSAL_REASONS, summariseRefusal } from './refusal-summary.ts';

/** Path of the User Login API below the upstream base URL. */
export const LOGIN_PATH = '/v1.0/openapi/visual/d/user/login';

/** Largest upstream response body read, in bytes. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A token as the upstream returned it, for a device that was asked for. */
export interface UpstreamToken {
  /** The device the token is for. */
  readonly device: DeviceKey;
  /** The provider's token; secret. */
  readonly visualToken: string;
  /**
   * The `expire` field as sent (seconds, or milliseconds in some samples),
   * of any JSON type: `checkToken` decides whether it is usable.
   */
  readonly expire: unknown;
}

/** Per-call options of {@link LoginClient.login}. */
export interface LoginCallOptions {
  /** Aborts the call (middy's signal: the invocation is about to time out). */
  readonly signal?: AbortSignal;
  /** Epoch ms by which the whole login, retries included, must be over. */
  readonly deadline?: number;
  /** Time limit of this attempt, in ms; the client's own limit when absent. */
  readonly timeoutMs?: number;
  /**
   * Called as each HTTP attempt starts, with the credentials it is signed
   * with: after a refused login and a re-read secret, the tokens belong to
   * the account of the last attempt, not the one the caller started with.
   */
  readonly onAttempt?: (credentials: Credentials) => void;
}

/** The upstream port the broker uses. */
export interface LoginClient {
  /**
   * Logs in for `devices` and returns the tokens received for them; a device
   * missing from the result got no token.
   */
  login(
    credentials: Credentials,
    devices: readonly DeviceKey[],
    options?: LoginCallOptions,
  ): Promise<readonly UpstreamToken[]>;
}

/** Options of {@link createLoginClient}. */
export interface LoginClientOptions {
  /** Base URL of the provider's gateway, for credentials that name none of their own. */
  readonly baseUrl: string;
  /** Time limit of one attempt, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * How the request is sent.
   * @default nodeHttpTransport(): node:https with keep-alive
   */
  readonly transport?: HttpTransport;
  /** Clock and nonce of gateway signatures. */
  readonly signing?: SigningContext;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The login URL below a base URL; an account's secret may name its own gateway, and each is parsed once. */
function loginUrls() {
  const urls = new Map<string, URL>();
  return (base: string): URL => {
    let url = urls.get(base);
    if (url === undefined) {
      url = new URL(`${base}${LOGIN_PATH}`);
      urls.set(base, url);
    }
    return url;
  };
}

/** Creates a login client over an HTTP transport. */
export function createLoginClient(options: LoginClientOptions): LoginClient {
  const transport = options.transport ?? nodeHttpTransport();
  const urlOf = loginUrls();

  return {
    async login(credentials, devices, call = {}) {
      const { signal } = call;
      const url = urlOf(credentials.upstreamUrl ?? options.baseUrl);
      const pathAndQuery = url.pathname;
      const timeoutMs = call.timeoutMs ?? options.timeoutMs;
      const body = new TextEncoder().encode(
        JSON.stringify({
          userName: credentials.userName,
          password: credentials.password,
          deviceList: devices.map((d) => ({ productKey: d.productKey, deviceName: d.deviceName })),
        }),
      );
      const baseHeaders = {
        Accept: 'application/json',
        'Content-Type': 'application/json; charset=utf-8',
      };
      const headers = {
        ...baseHeaders,
        ...gatewayAuthHeaders(
          credentials.gateway,
          {
            method: 'POST',
            pathAndQuery,
            headers: baseHeaders,
            body,
          },
          options.signing,
        ),
      };
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);

      let response: TransportResponse;
      try {
        // The transport never follows a redirect: the credentials are in the
        // body and headers.
        response = await transport.post({
          url,
          headers,
          body,
          signal: combined,
          maxResponseBytes: MAX_RESPONSE_BYTES,
        });
      } catch (cause) {
        if (signal?.aborted) {
          throw new UpstreamTimeoutError(
            'The invocation was aborted while the upstream was called',
            {
              cause,
            },
          );
        }
        if (timeout.aborted) {
          throw new UpstreamTimeoutError(`Upstream did not answer within ${timeoutMs} ms`, {
            cause,
          });
        }
        if (cause instanceof UpstreamError) throw cause;
        throw new UpstreamError(`Upstream request failed: ${describe(cause)}`, {
          cause,
          transient: true,
        });
      }
      return parseLoginResponse(response.status, response.text, devices, {
        retryAfter: response.header('retry-after') ?? null,
        gatewayError: response.header('x-ca-error-message') ?? null,
        now: options.signing?.now ?? Date.now,
      });
    },
  };
}

/** `X-Ca-Error-Message` of the gateway's flow control, e.g. "Throttled by API Flow Control". */
const GATEWAY_THROTTLED = /^Throttled by\b/i;

/**
 * Alibaba Cloud API Gateway's `X-Ca-Error-Message` values that mean the
 * gateway credentials are wrong (https://www.alibabacloud.com/help/en/api-gateway/invalid-signature).
 */
const GATEWAY_CREDENTIAL_ERRORS = /^Invalid (?:Signature|AppKey|AppCode)\b/i;

/** Error name and socket code (ECONNREFUSED…), on the error or its cause. */
const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return typeof error;
  const codeOf = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  const code = codeOf(error) ?? codeOf(error.cause);
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
};

/**
 * Checks an upstream answer and keeps only well-formed tokens for devices
 * that were asked for: nothing else the upstream sends reaches a caller.
 * @throws UpstreamRejectedError for `success:false` or refused credentials,
 *   UpstreamError for anything else unusable.
 */
export function parseLoginResponse(
  status: number,
  text: string,
  devices: readonly DeviceKey[],
  meta: {
    readonly retryAfter?: string | null;
    /** The gateway's `X-Ca-Error-Message`; it may quote its string to sign, so it is never logged whole. */
    readonly gatewayError?: string | null;
    readonly now?: () => number;
  } = {},
): UpstreamToken[] {
  // Alibaba API Gateway's flow control answers 403, not 429: a busy gateway,
  // not refused credentials, so it is retried like a 429 and never triggers
  // a re-read of the secret.
  const throttled = status === 403 && GATEWAY_THROTTLED.test(meta.gatewayError ?? '');
  if (!throttled && (status === 401 || status === 403)) {
    throw new UpstreamRejectedError(`Upstream gateway refused the credentials (HTTP ${status})`);
  }
  const refusal = GATEWAY_CREDENTIAL_ERRORS.exec(meta.gatewayError ?? '');
  if (status === 400 && refusal !== null) {
    // A rotated AppKey/AppSecret/AppCode looks like this, not like a 401.
    throw new UpstreamRejectedError(
      `Upstream gateway refused the credentials (HTTP 400 ${refusal[0]})`,
    );
  }
  if (status >= 300 && status < 400) {
    throw new UpstreamError(`Upstream answered a redirect (HTTP ${status}); not followed`);
  }
  if (status === 429 || status >= 500 || throttled) {
    const retryAfterMs = parseRetryAfter(meta.retryAfter ?? null, (meta.now ?? Date.now)());
    throw new UpstreamError(
      `Upstream answered HTTP ${status}${throttled ? ' (flow control)' : ''}`,
      {
        transient: true,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    );
  }
  if (status !== 200) {
    throw new UpstreamError(`Upstream answered HTTP ${status}`, {
      blamesRequest: status >= 400 && status < 500,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold tokens: not kept.
    throw new UpstreamError('Upstream answered a body that is not JSON');
  }
  if (!isRecord(json) || typeof json.success !== 'boolean') {
    throw new UpstreamError('Upstream answer has no boolean "success"');
  }
  if (!json.success) {
    throw new UpstreamRejectedError(`Upstream refused the login: ${summariseRefusal(json.msg)}`);
  }
  const list = isRecord(json.data) ? json.data.deviceVisualTokenList : undefined;
  if (!Array.isArray(list)) {
    throw new UpstreamError('Upstream answer has no "data.deviceVisualTokenList" array');
  }
  const wanted = new Map(devices.map((d) => [deviceId(d), d]));
  const tokens: UpstreamToken[] = [];
  for (const item of list) {
    if (!isRecord(item)) continue;
    const { productKey, deviceName, visualToken, expire } = item;
    if (typeof productKey !== 'string' || typeof deviceName !== 'string') continue;
    if (typeof visualToken !== 'string' || visualToken === '') continue;
    const id = `${productKey}/${deviceName}`;
    const device = wanted.get(id);
    if (device === undefined) continue;
    wanted.delete(id);
    tokens.push({ device, visualToken, expire });
  }
  return tokens;
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date.
 * Anything else is ignored rather than trusted.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
