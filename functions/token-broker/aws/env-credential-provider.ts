/**
 * Stand-in for `@aws-sdk/credential-provider-node` in the Lambda bundle only,
 * swapped in by the esbuild alias in infra/lambda-bundling.ts. Lambda puts the
 * execution role's credentials in the environment, so the rest of the default
 * chain (SSO, ini files, process, web identity, IMDS, container) can never
 * answer there, yet it and the STS/SSO clients it needs were about 40% of the
 * bundle. The local server imports the real package and keeps the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = Parameters<typeof fromEnv>[0];
type Identity = Awaited<ReturnType<ReturnType<typeof fromEnv>>>;

/** Same name and signature as the default chain's entry; reads the environment only. */
export const defaultProvider = (init?: FromEnvInit): (() => Promise<Identity>) => fromEnv(init);

/** As in `@aws-sdk/credential-provider-node`: whether the credentials expire at all. */
export const credentialsWillNeedRefresh = (credentials?: Identity): boolean =>
  credentials?.expiration !== undefined;

/** As in `@aws-sdk/credential-provider-node`: expired, or within 5 minutes of it. */
export const credentialsTreatedAsExpired = (credentials?: Identity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
