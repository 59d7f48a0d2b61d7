/**
 * The simulator's gateway check: how Alibaba Cloud API Gateway authenticates
 * a request before the login API sees it (AppCode, or AppKey + signature).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  contentMd5,
  SIGNATURE_METHOD,
  signature,
  stringToSign,
} from '../token-broker/upstream/gateway-auth.ts';

/** How far `X-Ca-Timestamp` may be from the gateway's clock, as Alibaba Cloud documents. */
const TIMESTAMP_WINDOW_MS = 15 * 60 * 1000;

/** The gateway's side of an account: AppCode, or AppKey and AppSecret, or neither. */
export interface GatewayCredentials {
  /** AppCode the gateway requires, if any. */
  readonly appCode?: string;
  /** AppKey of signature mode; with `appSecret`, the gateway requires a valid signature. */
  readonly appKey?: string;
  /** AppSecret of signature mode. */
  readonly appSecret?: string;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Verifies the gateway credentials as Alibaba Cloud API Gateway would:
 * AppCode, or AppKey + a signature recomputed from the received request.
 * @returns the refusal the gateway would answer, or undefined to pass.
 */
export function checkGateway(
  account: GatewayCredentials,
  req: IncomingMessage,
  body: Buffer,
  now: number,
): { status: number; message: string } | undefined {
  if (account.appCode !== undefined) {
    return header(req, 'authorization') === `APPCODE ${account.appCode}`
      ? undefined
      : { status: 401, message: 'Invalid AppCode' };
  }
  if (account.appKey === undefined || account.appSecret === undefined) return undefined;
  if (header(req, 'x-ca-key') !== account.appKey) return { status: 401, message: 'Invalid AppKey' };
  // The gateway defaults to HmacSHA256: Alibaba Cloud's own SDK sends no method.
  if ((header(req, 'x-ca-signature-method') ?? SIGNATURE_METHOD) !== SIGNATURE_METHOD) {
    return { status: 400, message: 'Invalid Signature Method' };
  }
  const timestamp = Number(header(req, 'x-ca-timestamp'));
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > TIMESTAMP_WINDOW_MS) {
    return { status: 400, message: 'Invalid Timestamp' };
  }
  if (header(req, 'content-md5') !== contentMd5(body)) {
    return { status: 400, message: 'Invalid Content-MD5' };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const expected = signature(
    account.appSecret,
    stringToSign({
      method: req.method ?? '',
      pathAndQuery: req.url ?? '',
      headers,
      signedHeaders: (header(req, 'x-ca-signature-headers') ?? '').split(',').filter(Boolean),
    }),
  );
  return sameText(header(req, 'x-ca-signature') ?? '', expected)
    ? undefined
    : { status: 400, message: 'Invalid Signature' };
}
