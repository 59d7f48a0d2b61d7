import { describe, expect, test } from 'vitest';
import { functionProps, synthStack } from './support.ts';

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
