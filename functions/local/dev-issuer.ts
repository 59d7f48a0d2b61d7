/**
 * A development JWT issuer standing in for the deployment's identity
 * provider. Its ES256 key pair lives in `.dev/issuer-key.json` (git-ignored),
 * created on first use, so `npm run dev-token` and `npm start` agree on it
 * across processes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

/** Issuer (`iss`) of dev tokens; the local server accepts no other. */
export const DEV_ISSUER = 'https://dev-issuer.visual-token-broker.local';

/** Audience (`aud`) of dev tokens; the local server accepts no other. */
export const DEV_AUDIENCE = 'visual-token-broker';

const ALG = 'ES256';

/** Where the dev key pair is kept. */
export const DEFAULT_KEY_FILE = new URL('../../.dev/issuer-key.json', import.meta.url);

interface StoredKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function loadOrCreateKey(file: URL): Promise<StoredKey> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const stored: StoredKey = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALG },
    publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' },
  };
  await mkdir(new URL('.', file), { recursive: true });
  try {
    // `wx`: if another process created the key meanwhile, keep theirs.
    await writeFile(file, JSON.stringify(stored), { flag: 'wx', mode: 0o600 });
    return stored;
  } catch {
    return JSON.parse(await readFile(file, 'utf8')) as StoredKey;
  }
}

/** Claims of a dev token. */
export interface DevTokenOptions {
  /**
   * Subject.
   * @default 'dev-user'
   */
  readonly sub?: string;
  /**
   * Device grants, as the `devices` claim; `null` leaves the claim out, so
   * only the grants directory grants anything.
   * @default '*'
   */
  readonly devices?: string | null;
  /**
   * Lifetime in seconds; negative for an already expired token (tests).
   * @default 3600
   */
  readonly expiresInSeconds?: number;
  /** Extra claims or overrides (tests). */
  readonly claims?: JWTPayload;
  /** Key file. @default DEFAULT_KEY_FILE */
  readonly keyFile?: URL;
}

/** Signs a dev token. */
export async function issueDevToken(options: DevTokenOptions = {}): Promise<string> {
  const { privateJwk } = await loadOrCreateKey(options.keyFile ?? DEFAULT_KEY_FILE);
  const key = await importJWK(privateJwk, ALG);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const devices = options.devices === undefined ? '*' : options.devices;
  return new SignJWT({ ...(devices === null ? {} : { devices }), ...options.claims })
    .setProtectedHeader({ alg: ALG, kid: privateJwk.kid as string, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(options.sub ?? 'dev-user')
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (options.expiresInSeconds ?? 3600))
    .sign(key);
}

/** Verifies a bearer token as API Gateway's JWT authorizer would. */
export type DevVerifier = (token: string) => Promise<JWTPayload>;

/**
 * How far in the future a token's `iat` may be, in seconds: clocks drift,
 * but a token issued later than that was not issued by a sane issuer. The
 * same comparison as jose's `clockTolerance` (refused when `iat` exceeds now
 * by more than this).
 */
export const IAT_CLOCK_SKEW_SECONDS = 60;

/** Most verified tokens the verifier remembers. */
const VERIFIED_CACHE_ENTRIES = 1000;

/**
 * Creates a verifier bound to the dev issuer's public key. As API Gateway's
 * JWT authorizer, it requires `exp`, and it refuses an `iat` more than
 * {@link IAT_CLOCK_SKEW_SECONDS} ahead of its clock. A token verified
 * once is remembered until it expires: its bytes cannot change, so only the
 * clock needs checking again, and an ES256 verification per request would
 * otherwise be most of the local server's cost per cache hit.
 */
export async function createDevVerifier(
  keyFile: URL = DEFAULT_KEY_FILE,
  now: () => number = Date.now,
): Promise<DevVerifier> {
  const { publicJwk } = await loadOrCreateKey(keyFile);
  const keys = createLocalJWKSet({ keys: [publicJwk] });
  const verified = new Map<string, JWTPayload>();
  return async (token) => {
    const known = verified.get(token);
    const nowSeconds = now() / 1000;
    if (known !== undefined && (known.exp ?? 0) > nowSeconds && (known.nbf ?? 0) <= nowSeconds) {
      return known;
    }
    verified.delete(token);
    const { payload } = await jwtVerify(token, keys, {
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      algorithms: [ALG],
      requiredClaims: ['exp'],
      currentDate: new Date(now()),
    });
    if (payload.iat !== undefined && payload.iat - nowSeconds > IAT_CLOCK_SKEW_SECONDS) {
      throw new errors.JWTClaimValidationFailed(
        '"iat" claim timestamp check failed (it should be in the past)',
        payload,
        'iat',
        'check_failed',
      );
    }
    // Every token verified here expires; the memory is still bounded.
    if (verified.size >= VERIFIED_CACHE_ENTRIES) {
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(token, payload);
    return payload;
  };
}
