/**
 * The cdk-nag findings of the function and its role that stand by design,
 * each acknowledged with its rule, its resource and its reason, so that a
 * new finding still fails the checks.
 */
import { Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** Acknowledges the findings of the function's role (its default policy) and of the function. */
export function acknowledgeFunctionFindings(role: Construct, fn: IFunction): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy !== undefined) {
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement of this policy (logs, the credentials and store key secrets, the grants table and its customer-managed key) is scoped to one resource.',
    });
  }
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Invoked synchronously only (API Gateway and RequestResponse direct invokes): the caller gets the error, and a token vended to a DLQ would be useless.',
  });
}
