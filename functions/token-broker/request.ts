/**
 * Validation of a token request, shared by the HTTP and direct-invoke paths.
 * Hand-written rather than schema-driven: the schema is two fields deep, the
 * error must name the exact field (`devices[3].deviceName`), and it runs on
 * every warm request.
 */
import {
  DEVICE_NAME_PATTERN,
  type DeviceKey,
  deviceId,
  PRODUCT_KEY_PATTERN,
  type TokenRequest,
} from './contract.ts';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';

export { DEVICE_NAME_PATTERN, PRODUCT_KEY_PATTERN, type TokenRequest } from './contract.ts';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/** A key that reads unambiguously after a dot in a field path. */
const PLAIN_KEY = /^[A-Za-z_$][\w$]{0,63}$/;

/**
 * The path of `key` under `at`: `at.key` for a plain key, else the key
 * JSON-quoted in brackets and cut to 64 characters, so that an empty, long
 * or odd key still yields a field name that is never empty.
 */
const memberPath = (at: string, key: string): string =>
  PLAIN_KEY.test(key)
    ? at === ''
      ? key
      : `${at}.${key}`
    : `${at}[${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)}]`;

function rejectUnknownKeys(value: Record<string, unknown>, allowed: readonly string[], at: string) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidRequestError(
        memberPath(at, key),
        `unknown field; allowed: ${allowed.join(', ')}`,
      );
    }
  }
}

function stringField(value: Record<string, unknown>, key: string, pattern: RegExp, at: string) {
  const field = `${at}.${key}`;
  const v = value[key];
  if (v === undefined) throw new InvalidRequestError(field, 'is required');
  if (typeof v !== 'string')
    throw new InvalidRequestError(field, `must be a string, got ${describe(v)}`);
  if (!pattern.test(v)) throw new InvalidRequestError(field, `must match ${pattern.source}`);
  return v;
}

/** The optional `refresh` flag: a boolean when present. */
function refreshField(payload: Record<string, unknown>): { refresh?: boolean } {
  const refresh = payload.refresh;
  if (refresh === undefined) return {};
  if (typeof refresh !== 'boolean') {
    throw new InvalidRequestError('refresh', `must be a boolean, got ${describe(refresh)}`);
  }
  return { refresh };
}

/**
 * Validates a parsed payload (`{"devices":[…], "refresh"?: boolean}`); the
 * devices come back with duplicates removed, in first-seen order.
 * @throws InvalidRequestError naming the field at fault.
 */
export function parseTokenRequest(payload: unknown, maxDevices: number): TokenRequest {
  if (!isPlainObject(payload)) {
    throw new InvalidRequestError('body', `must be a JSON object, got ${describe(payload)}`);
  }
  rejectUnknownKeys(payload, ['devices', 'refresh'], '');
  const list = payload.devices;
  if (list === undefined) throw new InvalidRequestError('devices', 'is required');
  if (!Array.isArray(list)) {
    throw new InvalidRequestError('devices', `must be an array, got ${describe(list)}`);
  }
  if (list.length === 0) throw new InvalidRequestError('devices', 'must not be empty');
  if (list.length > maxDevices) {
    throw new InvalidRequestError(
      'devices',
      `must hold at most ${maxDevices} devices, got ${list.length}`,
    );
  }
  const seen = new Map<string, DeviceKey>();
  list.forEach((item: unknown, index) => {
    const at = `devices[${index}]`;
    if (!isPlainObject(item))
      throw new InvalidRequestError(at, `must be an object, got ${describe(item)}`);
    rejectUnknownKeys(item, ['productKey', 'deviceName'], at);
    const device = {
      productKey: stringField(item, 'productKey', PRODUCT_KEY_PATTERN, at),
      deviceName: stringField(item, 'deviceName', DEVICE_NAME_PATTERN, at),
    };
    const id = deviceId(device);
    // Stryker disable next-line ConditionalExpression: a later duplicate has the same fields and keeps the first one's place.
    if (!seen.has(id)) seen.set(id, device);
  });
  return { devices: [...seen.values()], ...refreshField(payload) };
}

/** The user a direct invoker lists the grants of (`{"grantsFor": …}`). */
export interface GrantsForRequest {
  /** The user, as its JWT `sub` would name it. */
  readonly sub: string;
  /** The user's groups. */
  readonly groups: readonly string[];
}

/** A `sub` or group name: what a directory principal holds after its prefix. */
const NAME_PATTERN = /^\S{1,256}$/;

/**
 * Validates a direct invocation's `{"grantsFor": {"sub": …, "groups"?: […]}}`.
 * @throws InvalidRequestError naming the field at fault.
 */
export function parseGrantsFor(payload: unknown): GrantsForRequest {
  const at = 'grantsFor';
  const body = isPlainObject(payload) ? payload : {};
  rejectUnknownKeys(body, [at], '');
  const value = body.grantsFor;
  if (!isPlainObject(value)) {
    throw new InvalidRequestError(at, `must be an object, got ${describe(value)}`);
  }
  rejectUnknownKeys(value, ['sub', 'groups'], at);
  const sub = stringField(value, 'sub', NAME_PATTERN, at);
  const groups = value.groups ?? [];
  if (!Array.isArray(groups)) {
    throw new InvalidRequestError(`${at}.groups`, `must be an array, got ${describe(groups)}`);
  }
  groups.forEach((group: unknown, i) => {
    if (typeof group !== 'string' || !NAME_PATTERN.test(group)) {
      throw new InvalidRequestError(`${at}.groups[${i}]`, 'must be a group name without spaces');
    }
  });
  return { sub, groups };
}

/** What the HTTP layer knows about a request body before it is parsed. */
export interface RawBody {
  /** The `Content-Type` header, if any. */
  readonly contentType: string | undefined;
  /** The body as API Gateway delivers it. */
  readonly body: string | undefined;
  /** Whether API Gateway base64-encoded the body. */
  readonly isBase64Encoded: boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Checks media type and size, then parses JSON.
 * @throws UnsupportedMediaTypeError, PayloadTooLargeError or InvalidRequestError.
 */
export function parseJsonBody(raw: RawBody): unknown {
  // Stryker disable next-line ConditionalExpression: test(undefined) reads 'undefined', which does not match either.
  if (raw.contentType === undefined || !JSON_MEDIA_TYPE.test(raw.contentType)) {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json');
  }
  const body = raw.body ?? '';
  // Measure before decoding so a huge body costs nothing more than its length
  // check. Base64 padding makes the estimate up to 2 bytes high; the decoded
  // size is checked exactly below, so a body of exactly the limit passes.
  const approxBytes = raw.isBase64Encoded ? Math.floor((body.length * 3) / 4) - 2 : body.length;
  if (approxBytes > MAX_BODY_BYTES) throw tooLarge();
  let text = body;
  if (raw.isBase64Encoded) {
    const bytes = Buffer.from(body, 'base64');
    if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
    try {
      text = UTF8.decode(bytes);
    } catch (cause) {
      throw new InvalidRequestError('body', 'is not valid UTF-8', { cause });
    }
  } else if (
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; the exact count decides.
    body.length * 3 > MAX_BODY_BYTES &&
    Buffer.byteLength(body) > MAX_BODY_BYTES
  ) {
    // A JS string is already decoded text; only its UTF-8 size is in
    // question, and only when it could exceed the limit at 3 bytes a char.
    throw tooLarge();
  }
  if (text.trim() === '') throw new InvalidRequestError('body', 'is required');
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body (a token or password pasted into
    // it would reach the log), so it is not kept as the cause.
    throw new InvalidRequestError('body', 'is not valid JSON');
  }
}

const tooLarge = () =>
  new PayloadTooLargeError(`The request body must be at most ${MAX_BODY_BYTES} bytes`);
