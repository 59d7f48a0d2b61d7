import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { TokenBroker } from '../../infra/token-broker.ts';
import { functionProps, NO_BUNDLING, synthStack } from './support.ts';

/** Cognito does not exist in cn-north-1 / cn-northwest-1: the external issuer is the route. */
const CHINA = {
  context: {
    upstreamUrl: 'https://gateway.example.com',
    jwtIssuer: 'https://idp.example.cn/',
    jwtAudience: 'broker',
    alarmTopicArn: 'arn:aws-cn:sns:cn-north-1:111122223333:ops',
  },
  props: { env: { account: '111122223333', region: 'cn-north-1' } },
} as const;

/**
 * The partition part of every ARN in a template: the text after `arn:` in a
 * literal, or what follows an `arn:` piece of an `Fn::Join`.
 */
function partitionsOfArns(node: unknown, found: string[] = []): string[] {
  if (typeof node === 'string') {
    for (const m of node.matchAll(/arn:([^:"]+):/g)) found.push(m[1] ?? '');
  } else if (Array.isArray(node)) {
    node.forEach((item, i) => {
      if (typeof item === 'string' && item.endsWith('arn:')) {
        found.push(JSON.stringify(node[i + 1]));
      }
      partitionsOfArns(item, found);
    });
  } else if (node !== null && typeof node === 'object') {
    for (const value of Object.values(node)) partitionsOfArns(value, found);
  }
  return found;
}

describe('AWS China (aws-cn partition)', () => {
  test('synthesizes with an external issuer and creates no Cognito resource', () => {
    // Prepare
    const { context, props } = CHINA;

    // Act
    const { stack, template } = synthStack(context, props);

    // Assess
    expect(stack.region).toBe('cn-north-1');
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: context.jwtIssuer, Audience: [context.jwtAudience] },
    });
    expect(functionProps(template).Runtime).toBe('nodejs24.x');
  });

  test('builds every ARN with the partition, never a literal aws', () => {
    // Prepare
    const { context, props } = CHINA;

    // Act
    const json = synthStack(context, props).template.toJSON();

    // Assess
    const partitions = new Set(partitionsOfArns(json));
    expect(partitions).toEqual(new Set(['aws-cn', JSON.stringify({ Ref: 'AWS::Partition' })]));
    expect(JSON.stringify(json)).not.toMatch(/arn:aws:/);
  });
});

describe('AWS China with several upstream accounts', () => {
  test('synthesizes with a created and an imported account, every ARN in aws-cn', () => {
    // Prepare
    const context = {
      ...CHINA.context,
      accounts:
        'cn=true,hk=arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:broker/hk-AbCdEf',
      accountRoutes: 'pk1=hk,*=cn',
    };

    // Act
    const { stack, template } = synthStack(context, CHINA.props);

    // Assess
    expect([...stack.broker.routedAccountSecrets.keys()]).toEqual(['hk', 'cn']);
    const json = template.toJSON();
    const partitions = new Set(partitionsOfArns(json));
    expect(partitions).toEqual(new Set(['aws-cn', JSON.stringify({ Ref: 'AWS::Partition' })]));
    expect(JSON.stringify(json)).not.toMatch(/arn:aws:/);
  });
});

describe('AWS China with the built-in Cognito user pool', () => {
  const { jwtIssuer: _issuer, jwtAudience: _audience, ...WITHOUT_ISSUER } = CHINA.context;

  /** The bare construct, with no issuer, in a stack of `env` under `context`. */
  const brokerIn = (env: { region?: string }, context: Record<string, unknown> = {}) => {
    const app = new App({ context: { ...NO_BUNDLING, ...context } });
    const stack = new Stack(app, 'Host', env.region ? { env: { region: env.region } } : {});
    return new TokenBroker(stack, 'Broker', { upstreamUrl: 'https://gateway.example.com' });
  };

  test.each(['cn-north-1', 'cn-northwest-1'])(
    'fails the synth for %s, naming jwtIssuer and jwtAudience',
    (region) => {
      // Prepare
      const props = { env: { account: '111122223333', region } };

      // Act
      const attempt = () => synthStack(WITHOUT_ISSUER, props);

      // Assess
      expect(attempt).toThrow(
        `TokenBroker: jwtIssuer and jwtAudience are required for the AWS China region ${region}: Cognito, which the built-in user pool needs, does not exist there.`,
      );
    },
  );

  test('fails with the message docs/deploy.md quotes, word for word', () => {
    // Prepare
    const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const quoted = /^TokenBroker: jwtIssuer and jwtAudience are required for .*$/m.exec(docs)?.[0];
    const props = { env: { account: '111122223333', region: 'cn-north-1' } };

    // Act
    const attempt = () => synthStack(WITHOUT_ISSUER, props);

    // Assess
    expect(quoted).toBeDefined();
    expect(attempt).toThrow(expect.objectContaining({ message: quoted }));
  });

  test('fails when an environment-agnostic stack targets only the aws-cn partition', () => {
    // Prepare
    const context = { '@aws-cdk/core:target-partitions': ['aws-cn'] };

    // Act
    const attempt = () => brokerIn({}, context);

    // Assess
    expect(attempt).toThrow(/jwtAudience are required for the AWS China partition aws-cn/);
  });

  test.each([
    ['an environment-agnostic stack', {}, {}],
    ['a stack in us-east-1', { region: 'us-east-1' }, {}],
    [
      'a stack that may deploy to aws or aws-cn',
      {},
      { '@aws-cdk/core:target-partitions': ['aws', 'aws-cn'] },
    ],
  ])('still creates the pool for %s', (_name, env, context) => {
    // Act
    const broker = brokerIn(env, context);

    // Assess
    expect(broker.userPool).toBeDefined();
  });
});
