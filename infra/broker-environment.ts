/**
 * The broker function's environment: every setting from its prop or its
 * default (token-broker-settings.ts), and the names of what the construct
 * made or was given (the secrets, the token table, the grants table).
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SETTINGS } from '../functions/token-broker/settings.ts';
import { upstreamAccountsOf } from './broker-accounts.ts';
import type { CallerIdentity } from './broker-api.ts';
import type { TokenStoreResources } from './broker-token-store.ts';
import { COGNITO_DEVICE_CLAIM } from './token-broker-defaults.ts';
import type { TokenBrokerProps } from './token-broker-props.ts';
import { functionEnvironment } from './token-broker-settings.ts';

/** What the construct fills in; each absent when it is off. */
export interface BrokerResources {
  /** The credentials secret. */
  readonly secret: ISecret;
  /** Every account's secret, `default` first; none means `default` alone. */
  readonly accountSecrets?: ReadonlyMap<string, ISecret>;
  /** The token store's table and key secret; none with the store off. */
  readonly tokenStore?: TokenStoreResources;
  /** The grants directory's table; none when off. */
  readonly grantsTable?: ITable;
}

/** The function's environment, checked at synth. */
export function brokerEnvironment(
  props: TokenBrokerProps,
  identity: CallerIdentity,
  made: BrokerResources,
): Record<string, string> {
  const environment = functionEnvironment(props, {
    provided: {
      secretId: made.secret.secretArn,
      // Empty with `default` alone, as before there were accounts.
      upstreamAccounts: upstreamAccountsOf(made.accountSecrets ?? new Map()),
      tokenTable: made.tokenStore?.table.tableName ?? '',
      tokenStoreKeySecretId: made.tokenStore?.keySecret.secretArn ?? '',
      // Empty when off, as before the directory existed: the function reads none.
      grantsTable: made.grantsTable?.tableName ?? '',
    },
    defaults: 'pool' in identity ? { deviceScopeClaim: COGNITO_DEVICE_CLAIM } : {},
  });
  if (made.tokenStore === undefined) {
    // Unset rather than empty: with no store the function never sees it.
    delete environment[SETTINGS.tokenTable.env];
    delete environment[SETTINGS.tokenStoreKeySecretId.env];
  }
  return environment;
}
