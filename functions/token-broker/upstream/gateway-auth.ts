/**
 * Headers that authenticate a request to the provider's Alibaba Cloud API
 * Gateway: AppCode, or the AppKey/AppSecret signature ("digest
 * authentication") that Alibaba Cloud documents at
 * https://www.alibabacloud.com/help/en/api-gateway/traditional-api-gateway/user-guide/use-digest-authentication-to-call-an-api
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { GatewayAuth } from '../credentials.ts';

/** The parts of an outgoing request that gateway authentication may cover. */
export interface OutgoingRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path and query of the request URL. */
  readonly pathAndQuery: string;
  /** Headers already set (Accept, Content-Type). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes that will be sent. */
  readonly body: Uint8Array;
}

/** Sources of the per-request values of a signature, injectable for tests. */
export interface SigningContext {
  /**
   * Clock, epoch milliseconds, for `X-Ca-Timestamp`.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Nonce source, for `X-Ca-Nonce`.
   * @default crypto.randomUUID
   */
  readonly nonce?: () => string;
}

/** The signature algorithm sent in `X-Ca-Signature-Method`. */
export const SIGNATURE_METHOD = 'HmacSHA256';

/** The standard headers that have a fixed line of their own in the string to sign. */
const FIXED_LINES = ['accept', 'content-md5', 'content-type', 'date'] as const;

/**
 * Headers that never count as signed headers: they have fixed lines, or are
 * the signature itself.
 */
const UNSIGNABLE = new Set<string>([...FIXED_LINES, 'x-ca-signature', 'x-ca-signature-headers']);

/** Inputs of {@link stringToSign}. */
export interface SignatureInput {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path, with the query string if any. */
  readonly pathAndQuery: string;
  /** Every header of the request; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string>>;
  /** Names of the headers to sign, beyond the fixed lines. */
  readonly signedHeaders: readonly string[];
}

/**
 * The gateway's string to sign: method, Accept, Content-MD5, Content-Type and
 * Date, each on its own line even when empty; then `name:value` lines of the
 * signed headers sorted by name; then the path with its query parameters
 * sorted by name.
 */
export function stringToSign(input: SignatureInput): string {
  const lower = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const fixed = FIXED_LINES.map((name) => `${lower.get(name) ?? ''}\n`).join('');
  const signed = [...input.signedHeaders]
    .map((name) => name.toLowerCase())
    .filter((name) => !UNSIGNABLE.has(name))
    .sort()
    .map((name) => `${name}:${lower.get(name) ?? ''}\n`)
    .join('');
  return `${input.method.toUpperCase()}\n${fixed}${signed}${canonicalPath(input.pathAndQuery)}`;
}

/**
 * Path plus query parameters sorted by name; a parameter without a value is
 * kept as its bare name, as the documentation specifies.
 */
function canonicalPath(pathAndQuery: string): string {
  const at = pathAndQuery.indexOf('?');
  if (at < 0) return pathAndQuery;
  const path = pathAndQuery.slice(0, at);
  const params = pathAndQuery
    .slice(at + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p, value: '' } : { name: p.slice(0, eq), value: p.slice(eq + 1) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (params.length === 0) return path;
  return `${path}?${params.map((p) => (p.value === '' ? p.name : `${p.name}=${p.value}`)).join('&')}`;
}

/** `X-Ca-Signature`: base64 of HMAC-SHA256 of the string to sign, keyed by the AppSecret. */
export function signature(appSecret: string, toSign: string): string {
  return createHmac('sha256', appSecret).update(toSign, 'utf8').digest('base64');
}

/** `Content-MD5`: base64 of the MD5 of the exact body bytes. */
export function contentMd5(body: Uint8Array): string {
  return createHash('md5').update(body).digest('base64');
}

/** Returns the headers to add for the given gateway authentication. */
export function gatewayAuthHeaders(
  auth: GatewayAuth,
  request: OutgoingRequest,
  context: SigningContext = {},
): Record<string, string> {
  switch (auth.mode) {
    case 'none':
      return {};
    case 'appCode':
      return { Authorization: `APPCODE ${auth.appCode}` };
    case 'signature': {
      const caHeaders: Record<string, string> = {
        'x-ca-key': auth.appKey,
        'x-ca-nonce': (context.nonce ?? randomUUID)(),
        'x-ca-signature-method': SIGNATURE_METHOD,
        'x-ca-timestamp': String((context.now ?? Date.now)()),
      };
      const signedHeaders = Object.keys(caHeaders).sort();
      const headers = {
        ...request.headers,
        'Content-MD5': contentMd5(request.body),
        ...caHeaders,
      };
      const toSign = stringToSign({
        method: request.method,
        pathAndQuery: request.pathAndQuery,
        headers,
        signedHeaders,
      });
      return {
        'Content-MD5': headers['Content-MD5'],
        ...caHeaders,
        'x-ca-signature-headers': signedHeaders.join(','),
        'x-ca-signature': signature(auth.appSecret, toSign),
      };
    }
  }
}
