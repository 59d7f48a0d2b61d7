/**
 * What is logged of an upstream refusal's `msg`: a reason word, never its
 * text (login-client.ts logs it this way).
 */
import { createHmac, randomBytes } from 'node:crypto';

/**
 * The reasons a refusal's `msg` is mapped to, the only words of it that are
 * logged. Checked in this order; the first whose pattern matches wins. The
 * patterns cover the provider's English and Chinese wording.
 */
export const REFUSAL_REASONS = [
  ['account locked or disabled', /lock|disabled|frozen|freeze|suspend|锁|冻结|禁用/i],
  ['rate limited', /rate.?limit|exceed|too many|frequen|throttl|quota|频繁|限流|超限|次数/i],
  ['device not found or not bound', /device|product|设备|产品/i],
  [
    'user name or password is incorrect',
    /password|passwd|user|account|credential|incorrect|密码|用户|账号|帐号|账户/i,
  ],
] as const satisfies ReadonlyArray<readonly [string, RegExp]>;

/** Keys the msg hash: per container, so a short hash of a msg that quotes a weak password cannot be looked up offline. */
const MSG_HASH_KEY = randomBytes(32);

/**
 * What is logged of the upstream's `msg`: a reason from
 * {@link REFUSAL_REASONS}, the length, and 8 hex of an HMAC-SHA256 that tells
 * equal messages apart within one container. Never the text: an upstream may
 * quote a credential in any form (truncated, upper-cased, base64), which no
 * redaction of known values catches.
 */
export function summariseRefusal(msg: unknown): string {
  if (typeof msg !== 'string' || msg === '') return 'reason "no message"; msg redacted';
  const reason =
    REFUSAL_REASONS.find(([, pattern]) => pattern.test(msg))?.[0] ?? 'unrecognised message';
  const hash = createHmac('sha256', MSG_HASH_KEY).update(msg).digest('hex').slice(0, 8);
  return `reason "${reason}"; msg redacted (${msg.length} chars, hash ${hash})`;
}
