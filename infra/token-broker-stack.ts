/**
 * The deployable stack: the {@link TokenBroker} construct with settings from
 * CDK context (`cdk.json` or `-c key=value`), one context key per row of the
 * settings tables. Environment-agnostic, so `cdk synth` works offline with
 * no AWS credentials and no settings.
 */
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { SettingMap } from '../functions/token-broker/setting-maps.ts';
import { accountsFromContext } from './broker-accounts.ts';
import { CONTEXT_KEYS, propsFromContext, rejectUnknownSettings } from './stack-context.ts';
import { cognitoIssuerOf, TokenBroker, type TokenBrokerProps } from './token-broker.ts';

export { CONTEXT_KEYS } from './stack-context.ts';

/**
 * Upstream used when no `upstreamUrl` is set: `.invalid` never resolves
 * (RFC 2606), so a stack synthesized without settings deploys but can never
 * send credentials anywhere. Set the real gateway with `-c upstreamUrl=https://…`.
 */
export const PLACEHOLDER_UPSTREAM_URL = 'https://upstream.invalid';

/** Props of {@link TokenBrokerStack}. */
export interface TokenBrokerStackProps extends StackProps {}

/** The visual-token-broker stack. */
export class TokenBrokerStack extends Stack {
  /** The broker construct. */
  readonly broker: TokenBroker;

  constructor(scope: Construct, id: string, props: TokenBrokerStackProps = {}) {
    super(scope, id, props);
    rejectUnknownSettings(this);
    const {
      [CONTEXT_KEYS.alarmTopicArn]: alarmTopicArn,
      [CONTEXT_KEYS.accounts]: accounts,
      ...fromContext
    } = propsFromContext(this);
    const settings = fromContext as Partial<TokenBrokerProps>;
    if (settings.upstreamUrl === undefined) {
      Annotations.of(this).addWarningV2(
        'visual-token-broker:placeholder-upstream',
        `No upstreamUrl in context: using the placeholder ${PLACEHOLDER_UPSTREAM_URL}, which never resolves. Deploy with -c upstreamUrl=https://your-gateway.`,
      );
    }
    this.broker = new TokenBroker(this, 'Broker', {
      ...settings,
      upstreamUrl: settings.upstreamUrl ?? PLACEHOLDER_UPSTREAM_URL,
      // `name=true` creates the account's secret; a name or ARN imports it.
      accounts:
        accounts === undefined ? undefined : accountsFromContext(this, accounts as SettingMap),
      alarmTopic:
        typeof alarmTopicArn === 'string'
          ? Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn)
          : undefined,
    });

    const b = this.broker;
    new CfnOutput(this, 'ApiUrl', { value: b.apiUrl, description: 'POST <ApiUrl>tokens' });
    // Exported, since the name is generated: a consumer stack imports it
    // (Fn.importValue) for its TOKEN_BROKER_FUNCTION_NAME, or a script reads it.
    new CfnOutput(this, 'FunctionName', {
      value: b.function.functionName,
      description: 'The broker function, for direct invokers: set TOKEN_BROKER_FUNCTION_NAME to it',
      exportName: `${this.stackName}-FunctionName`,
    });
    new CfnOutput(this, 'FunctionArn', { value: b.function.functionArn });
    new CfnOutput(this, 'FunctionAliasArn', {
      value: b.alias.functionArn,
      description: 'What direct invokers call: the live alias',
    });
    new CfnOutput(this, 'SecretArn', { value: b.secret.secretArn });
    for (const [name, secret] of b.accountSecrets) {
      if (secret === b.secret) continue;
      // What the operator fills in (a created one) or checks: one output per account.
      new CfnOutput(this, `SecretArn-${name}`, {
        value: secret.secretArn,
        description: `The credentials secret of the upstream account ${name}`,
      });
    }
    new CfnOutput(this, 'DashboardName', { value: b.dashboard.dashboardName });
    if (b.tokenTable !== undefined) {
      new CfnOutput(this, 'TokenTableName', { value: b.tokenTable.tableName });
    }
    if (b.grantsTable !== undefined) {
      // What the app's backend and `npm run grants` write to (GRANTS_TABLE).
      new CfnOutput(this, 'GrantsTableName', { value: b.grantsTable.tableName });
    }
    if (b.userPool !== undefined && b.userPoolClient !== undefined) {
      new CfnOutput(this, 'UserPoolId', { value: b.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: b.userPoolClient.userPoolClientId });
      new CfnOutput(this, 'JwtIssuer', { value: cognitoIssuerOf(b.userPool) });
    }
  }
}
