/**
 * The provider's User Login API (`POST /v1.0/openapi/visual/d/user/login`):
 * sends one login for a batch of devices and returns the tokens it got,
 * checked against what was asked. See ../shared/upstream/ for the contract.
 */
import type { Credentials } from '../credentials.ts';
import { type DeviceKey, deviceId } from '../device.ts';
import { UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../errors.ts';
import { gatewayAuthHeaders } from './gateway-auth.ts';

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
  /** The `expire` field as sent (seconds, or milliseconds in some samples). */
  readonly expire: number | undefined;
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
    signal?: AbortSignal,
  ): Promise<readonly UpstreamToken[]>;
}

/** Options of {@link createLoginClient}. */
export interface LoginClientOptions {
  /** Base URL of the provider's gateway. */
  readonly baseUrl: string;
  /** Time limit of one attempt, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * The fetch implementation.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Creates a login client over `fetch`. */
export function createLoginClient(options: LoginClientOptions): LoginClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const url = `${options.baseUrl}${LOGIN_PATH}`;
  const pathAndQuery = new URL(url).pathname;

  return {
    async login(credentials, devices, signal) {
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
        ...gatewayAuthHeaders(credentials.gateway, {
          method: 'POST',
          pathAndQuery,
          headers: baseHeaders,
          body,
        }),
      };
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);

      let response: Response;
      let text: string;
      try {
        // Never follow a redirect: the credentials are in the body and headers.
        response = await doFetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: combined,
        });
        text = await readLimited(response, MAX_RESPONSE_BYTES);
      } catch (cause) {
        if (timeout.aborted) {
          throw new UpstreamTimeoutError(`Upstream did not answer within ${options.timeoutMs} ms`, {
            cause,
          });
        }
        if (cause instanceof UpstreamError) throw cause;
        throw new UpstreamError(`Upstream request failed: ${describe(cause)}`, { cause });
      }
      return parseLoginResponse(response.status, text, devices);
    },
  };
}

const describe = (error: unknown): string =>
  error instanceof Error
    ? `${error.name}${(error.cause as { code?: string } | undefined)?.code ? ` ${(error.cause as { code: string }).code}` : ''}`
    : typeof error;

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new UpstreamError(`Upstream response is larger than ${limit} bytes`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new UpstreamError(`Upstream response is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
): UpstreamToken[] {
  if (status === 401 || status === 403) {
    throw new UpstreamRejectedError(`Upstream gateway refused the credentials (HTTP ${status})`);
  }
  if (status >= 300 && status < 400) {
    throw new UpstreamError(`Upstream answered a redirect (HTTP ${status}); not followed`);
  }
  if (status !== 200) throw new UpstreamError(`Upstream answered HTTP ${status}`);
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
    const msg = typeof json.msg === 'string' ? json.msg.slice(0, 200) : 'no message';
    throw new UpstreamRejectedError(`Upstream refused the login: ${msg}`);
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
    tokens.push({ device, visualToken, expire: typeof expire === 'number' ? expire : undefined });
  }
  return tokens;
}
