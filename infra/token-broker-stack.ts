/**
 * The deployable stack: the {@link TokenBroker} construct with settings from
 * CDK context (`cdk.json` or `-c key=value`). Environment-agnostic, so
 * `cdk synth` works offline with no AWS credentials and no settings.
 */
import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { cognitoIssuerOf, TokenBroker, type TokenBrokerLogLevel } from './token-broker.ts';

/**
 * Upstream used when no `upstreamUrl` is set: `.invalid` never resolves
 * (RFC 2606), so a stack synthesized without settings deploys but can never
 * send credentials anywhere. Set the real gateway with `-c upstreamUrl=https://…`.
 */
export const PLACEHOLDER_UPSTREAM_URL = 'https://upstream.invalid';

/** The context keys the stack reads. */
export const CONTEXT_KEYS = {
  upstreamUrl: 'upstreamUrl',
  jwtIssuer: 'jwtIssuer',
  jwtAudience: 'jwtAudience',
  deviceScopeClaim: 'deviceScopeClaim',
  allowedProductKeys: 'allowedProductKeys',
  corsAllowedOrigins: 'corsAllowedOrigins',
  maxDevicesPerRequest: 'maxDevicesPerRequest',
  minTokenValiditySeconds: 'minTokenValiditySeconds',
  upstreamBatchSize: 'upstreamBatchSize',
  upstreamTimeoutMs: 'upstreamTimeoutMs',
  upstreamMaxRetries: 'upstreamMaxRetries',
  upstreamMaxConcurrentLogins: 'upstreamMaxConcurrentLogins',
  circuitBreakerThreshold: 'circuitBreakerThreshold',
  circuitBreakerCooldownSeconds: 'circuitBreakerCooldownSeconds',
  secretCacheSeconds: 'secretCacheSeconds',
  secretMaxStaleSeconds: 'secretMaxStaleSeconds',
  tokenCacheMaxEntries: 'tokenCacheMaxEntries',
  logLevel: 'logLevel',
  reservedConcurrency: 'reservedConcurrency',
  throttlingRateLimit: 'throttlingRateLimit',
  throttlingBurstLimit: 'throttlingBurstLimit',
  alarmTopicArn: 'alarmTopicArn',
} as const;

/** Props of {@link TokenBrokerStack}. */
export interface TokenBrokerStackProps extends StackProps {}

/** The visual-token-broker stack. */
export class TokenBrokerStack extends Stack {
  /** The broker construct. */
  readonly broker: TokenBroker;

  constructor(scope: Construct, id: string, props: TokenBrokerStackProps = {}) {
    super(scope, id, props);
    const ctx = new ContextReader(this);
    const k = CONTEXT_KEYS;
    rejectUnknownSettings(this);
    const upstreamUrl = ctx.string(k.upstreamUrl);
    if (upstreamUrl === undefined) {
      Annotations.of(this).addWarningV2(
        'visual-token-broker:placeholder-upstream',
        `No upstreamUrl in context: using the placeholder ${PLACEHOLDER_UPSTREAM_URL}, which never resolves. Deploy with -c upstreamUrl=https://your-gateway.`,
      );
    }
    const alarmTopicArn = ctx.string(k.alarmTopicArn);
    const seconds = (key: string) => {
      const n = ctx.number(key);
      return n === undefined ? undefined : Duration.seconds(n);
    };
    const upstreamTimeoutMs = ctx.number(k.upstreamTimeoutMs);

    this.broker = new TokenBroker(this, 'Broker', {
      upstreamUrl: upstreamUrl ?? PLACEHOLDER_UPSTREAM_URL,
      jwtIssuer: ctx.string(k.jwtIssuer),
      jwtAudience: ctx.list(k.jwtAudience),
      deviceScopeClaim: ctx.string(k.deviceScopeClaim),
      allowedProductKeys: ctx.list(k.allowedProductKeys),
      corsAllowedOrigins: ctx.list(k.corsAllowedOrigins),
      maxDevicesPerRequest: ctx.number(k.maxDevicesPerRequest),
      minTokenValidity: seconds(k.minTokenValiditySeconds),
      upstreamBatchSize: ctx.number(k.upstreamBatchSize),
      upstreamTimeout:
        upstreamTimeoutMs === undefined ? undefined : Duration.millis(upstreamTimeoutMs),
      upstreamMaxRetries: ctx.number(k.upstreamMaxRetries),
      upstreamMaxConcurrentLogins: ctx.number(k.upstreamMaxConcurrentLogins),
      circuitBreakerThreshold: ctx.number(k.circuitBreakerThreshold),
      circuitBreakerCooldown: seconds(k.circuitBreakerCooldownSeconds),
      secretCacheDuration: seconds(k.secretCacheSeconds),
      secretMaxStale: seconds(k.secretMaxStaleSeconds),
      tokenCacheMaxEntries: ctx.number(k.tokenCacheMaxEntries),
      logLevel: ctx.string(k.logLevel) as TokenBrokerLogLevel | undefined,
      reservedConcurrentExecutions: ctx.number(k.reservedConcurrency),
      throttlingRateLimit: ctx.number(k.throttlingRateLimit),
      throttlingBurstLimit: ctx.number(k.throttlingBurstLimit),
      alarmTopic:
        alarmTopicArn === undefined
          ? undefined
          : Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn),
    });

    const b = this.broker;
    new CfnOutput(this, 'ApiUrl', { value: b.apiUrl, description: 'POST <ApiUrl>tokens' });
    new CfnOutput(this, 'FunctionName', { value: b.function.functionName });
    new CfnOutput(this, 'FunctionArn', { value: b.function.functionArn });
    new CfnOutput(this, 'SecretArn', { value: b.secret.secretArn });
    if (b.userPool !== undefined && b.userPoolClient !== undefined) {
      new CfnOutput(this, 'UserPoolId', { value: b.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: b.userPoolClient.userPoolClientId });
      new CfnOutput(this, 'JwtIssuer', { value: cognitoIssuerOf(b.userPool) });
    }
  }
}

/**
 * Reads context values, which are strings with `-c key=value` and may be
 * numbers or arrays in cdk.json. Bad values fail naming the key.
 */
/**
 * A misspelt setting (`upstreamURL`, `corsOrigins`) would otherwise be
 * ignored and the default deployed. Only plain camelCase keys are ours to
 * judge; CDK's own keys carry `:`, `/`, `@` or `-`.
 */
function rejectUnknownSettings(stack: Stack) {
  const known: readonly string[] = Object.values(CONTEXT_KEYS);
  for (const key of Object.keys(stack.node.getAllContext())) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(key) || known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
    Annotations.of(stack).addError(
      `Unknown setting "${key}" in CDK context${near ? `; did you mean "${near}"?` : ''} Settings: ${known.join(', ')}.`,
    );
  }
}

class ContextReader {
  private readonly scope: Construct;

  constructor(scope: Construct) {
    this.scope = scope;
  }

  private raw(key: string): unknown {
    const value: unknown = this.scope.node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'string') return value?.trim();
    throw new Error(`Context "${key}" must be a string, got ${JSON.stringify(value)}`);
  }

  number(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
      throw new Error(`Context "${key}" must be a number, got ${JSON.stringify(value)}`);
    }
    return n;
  }

  /** A JSON array in cdk.json, or a comma-separated string. */
  list(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    if (typeof value === 'string') {
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
    throw new Error(`Context "${key}" must be a list of strings, got ${JSON.stringify(value)}`);
  }
}
