/**
 * Rollout and rollback: each deploy publishes a version, and the `live`
 * alias on it is what API Gateway and direct invokers call, so a bad deploy
 * is rolled back by moving the alias (docs/operations.md#rollback).
 */
import { describe, expect, test } from 'vitest';
import { LIVE_ALIAS } from '../../functions/token-broker/contract.ts';
import { onlyLogicalId, synthStack } from './support.ts';

describe('version and live alias', () => {
  test('publishes a version that a later deploy keeps, so there is one to roll back to', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const versions = Object.values(template.findResources('AWS::Lambda::Version'));

    // Assess
    const fnId = onlyLogicalId(template, 'AWS::Lambda::Function');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { FunctionName: { Ref: fnId } },
    });
  });

  test('points the live alias at that version', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const versionId = onlyLogicalId(template, 'AWS::Lambda::Version');

    // Assess
    template.resourceCountIs('AWS::Lambda::Alias', 1);
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: LIVE_ALIAS,
      FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] },
    });
  });

  test('API Gateway invokes the alias, and may invoke nothing else', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const aliasId = onlyLogicalId(template, 'AWS::Lambda::Alias');
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { Ref: aliasId },
    });
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) {
      expect(permission.Properties.FunctionName).toEqual({ Ref: aliasId });
    }
  });

  test('gives direct invokers the alias ARN as an output', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const outputs = template.findOutputs('FunctionAliasArn');

    // Assess
    expect(outputs.FunctionAliasArn?.Value).toEqual({
      Ref: onlyLogicalId(template, 'AWS::Lambda::Alias'),
    });
  });

  test('publishes a new version when the configuration changes, and none when it does not', () => {
    // Prepare
    const versionOf = (context: Record<string, unknown>) =>
      onlyLogicalId(synthStack(context).template, 'AWS::Lambda::Version');

    // Act
    const ids = [versionOf({}), versionOf({}), versionOf({ logLevel: 'debug' })];

    // Assess
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});
