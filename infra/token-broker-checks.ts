/**
 * The construct's checks of props that go together: each fails the synth
 * naming the prop, before anything is deployed.
 */
import { type Duration, Token } from 'aws-cdk-lib';
import { SETTINGS } from '../functions/token-broker/settings.ts';
import type { TokenBrokerProps } from './token-broker-props.ts';
import { TokenBrokerPropsError } from './token-broker-settings.ts';

/** The issuer and audiences go together, or neither (a Cognito pool is made). */
export function checkIdentityProps(props: TokenBrokerProps): void {
  if ((props.jwtIssuer === undefined) !== (props.jwtAudience === undefined)) {
    throw new TokenBrokerPropsError(
      'jwtIssuer',
      'and jwtAudience must be given together (or neither, to create a Cognito user pool)',
    );
  }
}

/**
 * The store's props go with the store: a table, a key, a shared circuit or a
 * login budget without it would be silently ignored.
 */
export function checkTokenStoreProps(props: TokenBrokerProps, storeOn: boolean): void {
  if (storeOn) return;
  const needsStore = [
    ['tokenTable', props.tokenTable !== undefined],
    ['tokenTableEncryptionKey', props.tokenTableEncryptionKey !== undefined],
    ['sharedCircuit', props.sharedCircuit === true],
    ['loginBudgetPerHour', (props.loginBudgetPerHour ?? 0) > 0],
  ] as const;
  const [prop] = needsStore.find(([, set]) => set) ?? [];
  if (prop !== undefined) {
    throw new TokenBrokerPropsError(prop, 'needs the token store, but tokenStore is false');
  }
}

/** A Lambda timeout would hide the clean upstream error the retries end in. */
export function checkTimeoutCoversRetries(
  environment: Record<string, string>,
  timeout: Duration,
): void {
  const attemptMs = Number(environment[SETTINGS.upstreamTimeoutMs.env]);
  const attempts = Number(environment[SETTINGS.upstreamMaxRetries.env]) + 1;
  // Tokens are only known at deploy.
  if (!Number.isFinite(attemptMs) || !Number.isFinite(attempts) || Token.isUnresolved(timeout)) {
    return;
  }
  if (attemptMs * attempts >= timeout.toMilliseconds()) {
    throw new TokenBrokerPropsError(
      'timeout',
      `(${timeout.toSeconds()} s) must exceed upstreamTimeout × (upstreamMaxRetries + 1) = ${(attemptMs * attempts) / 1000} s, or callers get a Lambda timeout instead of a clean upstream error`,
    );
  }
}
