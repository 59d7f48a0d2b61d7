/**
 * The stack's `FunctionName` output: the generated name of the broker
 * function, exported so that a consumer stack imports it and the consumer
 * example (examples/clients/consumer-lambda.ts) gets it from there, since no
 * fixed fallback name can match a generated one.
 */
import { describe, expect, test } from 'vitest';
import { synthStack } from './support.ts';

describe('the FunctionName output', () => {
  test('names the broker function, exported as <stack name>-FunctionName', () => {
    // Prepare, Act
    const { template } = synthStack();
    const [functionId] = Object.keys(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Handler: 'index.handler' },
      }),
    );

    // Assess
    expect(template.findOutputs('FunctionName')).toEqual({
      FunctionName: {
        Description: expect.stringContaining('TOKEN_BROKER_FUNCTION_NAME'),
        Value: { Ref: functionId },
        Export: { Name: 'Broker-FunctionName' },
      },
    });
  });

  test('follows the stack name, so two stages export two names', () => {
    // Prepare, Act
    const { template } = synthStack({}, { stackName: 'VisualTokenBroker-staging' });

    // Assess
    expect(template.findOutputs('FunctionName').FunctionName?.Export).toEqual({
      Name: 'VisualTokenBroker-staging-FunctionName',
    });
  });
});
