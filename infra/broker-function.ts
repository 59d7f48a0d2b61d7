/**
 * The broker's function: its own role and log group, the bundled handler,
 * and the `live` alias on a published version. API Gateway and direct
 * invokers call the alias, never `$LATEST`, so a bad deploy is rolled back
 * by pointing the alias at the version before it (docs/operations.md#rollback).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LIVE_ALIAS } from '../functions/token-broker/contract.ts';
import { HANDLER_ENTRY, HANDLER_EXPORT, nodejsBundlingOptions } from './lambda-bundling.ts';

/** Project root, so the entry resolves whatever the working directory. */
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Options of {@link createBrokerFunction}. */
export interface BrokerFunctionOptions {
  /** The function's environment. */
  readonly environment: Record<string, string>;
  /** Memory, in MiB. */
  readonly memorySize: number;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Reserved concurrency, shared by every version. */
  readonly reservedConcurrentExecutions: number;
  /** Retention of the function's log group. */
  readonly retention: RetentionDays;
}

/** The function and what belongs to it. */
export interface BrokerFunction {
  /** The function (unqualified: `$LATEST`, its configuration and its metrics). */
  readonly function: NodejsFunction;
  /** Its role: no managed policy, only what the broker grants. */
  readonly role: Role;
  /** Its log group. */
  readonly logGroup: LogGroup;
  /** The `live` alias on the version this deploy published: what callers invoke. */
  readonly alias: Alias;
}

/** Creates the function in `scope` (the broker, so logical ids stay those of earlier releases). */
export function createBrokerFunction(scope: Construct, o: BrokerFunctionOptions): BrokerFunction {
  const logGroup = new LogGroup(scope, 'FunctionLogs', { retention: o.retention });
  // Own role, without the AWS managed basic-execution policy: the function
  // may write only to its own log group.
  const role = new Role(scope, 'FunctionRole', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: 'visual-token-broker function: own logs, own secret, X-Ray',
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, 'Function', {
    entry: path.join(PROJECT_ROOT, HANDLER_ENTRY),
    handler: HANDLER_EXPORT,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: o.memorySize,
    timeout: o.timeout,
    reservedConcurrentExecutions: o.reservedConcurrentExecutions,
    role,
    logGroup,
    tracing: Tracing.ACTIVE,
    description: 'visual-token-broker: vends scoped Tuya visual device tokens',
    bundling: nodejsBundlingOptions(),
    environment: o.environment,
    // A deploy publishes a version when the code or the configuration changed.
    // The earlier ones stay, or there would be nothing to roll back to.
    currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
  });
  const alias = new Alias(scope, 'LiveAlias', {
    aliasName: LIVE_ALIAS,
    version: fn.currentVersion,
    description: 'What API Gateway and direct invokers call; move it to roll back.',
  });
  return { function: fn, role, logGroup, alias };
}
