/**
 * The Cognito user pool the construct creates when no issuer is given: the
 * out-of-the-box identity, locked down. Cognito does not exist in the AWS
 * China regions; there, give `jwtIssuer` and `jwtAudience` instead.
 */
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  Mfa,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';
import { TokenBrokerPropsError } from './token-broker-settings.ts';

/** The AWS China partition (cn-north-1, cn-northwest-1), which has no Cognito. */
const CHINA_PARTITION = 'aws-cn';

/** CDK's context key that limits an environment-agnostic stack to some partitions. */
const TARGET_PARTITIONS = '@aws-cdk/core:target-partitions';

/**
 * How the stack is known to deploy to AWS China, if it is: its region, or
 * a target-partitions context of `aws-cn` alone. An environment-agnostic
 * stack is not known to, and may deploy anywhere.
 */
export function chinaTarget(scope: Construct): string | undefined {
  const { region } = Stack.of(scope);
  if (!Token.isUnresolved(region)) {
    const china = RegionInfo.get(region).partition === CHINA_PARTITION || region.startsWith('cn-');
    return china ? `region ${region}` : undefined;
  }
  const partitions: unknown = scope.node.tryGetContext(TARGET_PARTITIONS);
  return Array.isArray(partitions) &&
    partitions.length > 0 &&
    partitions.every((p) => p === CHINA_PARTITION)
    ? `partition ${CHINA_PARTITION} (${TARGET_PARTITIONS})`
    : undefined;
}

/** The created pool and its app client. */
export interface BrokerUserPool {
  /** The pool; administrators create its users and set their device grants. */
  readonly userPool: UserPool;
  /** The browser app's public client. */
  readonly client: UserPoolClient;
}

/**
 * Creates the pool and client in `scope` (the broker itself, so their
 * logical ids stay those of earlier releases and a deploy never replaces them).
 */
export function createUserPool(scope: Construct): BrokerUserPool {
  // cfn-lint knows (E3006), CloudFormation would only say so mid-deploy.
  const china = chinaTarget(scope);
  if (china !== undefined) {
    throw new TokenBrokerPropsError(
      'jwtIssuer',
      `and jwtAudience are required for the AWS China ${china}: Cognito, which the built-in user pool needs, does not exist there. Give your identity provider with -c jwtIssuer=https://your-idp/ -c jwtAudience=your-audience (docs/deploy.md#deploy-in-the-aws-china-regions).`,
    );
  }
  const userPool = new UserPool(scope, 'UserPool', {
    // Administrators create users and set their device grants.
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    mfa: Mfa.REQUIRED,
    mfaSecondFactor: { otp: true, sms: false },
    passwordPolicy: {
      minLength: 12,
      requireDigits: true,
      requireLowercase: true,
      requireUppercase: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    customAttributes: {
      devices: new StringAttribute({ mutable: true, maxLen: 2048 }),
    },
  });
  const client = userPool.addClient('AppClient', {
    // A browser app: a public client signing in with SRP. Admin password
    // sign-in needs AWS credentials (cognito-idp:AdminInitiateAuth), so it
    // serves operators' scripts and tests, never a browser.
    generateSecret: false,
    authFlows: { userSrp: true, adminUserPassword: true },
    disableOAuth: true,
    preventUserExistenceErrors: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(1),
    readAttributes: new ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true })
      .withCustomAttributes('devices'),
    // Users must never grant themselves devices: the custom attribute is
    // writable by administrators only.
    writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
  });
  Validations.of(userPool).acknowledge({
    id: 'AwsSolutions-COG8',
    reason:
      'The Plus feature plan (threat protection) is billed per monthly active user; this pool is the out-of-the-box default and is already locked down: MFA (TOTP) required, no self sign-up, admin-created users only. Production identity belongs to an existing provider via jwtIssuer/jwtAudience.',
  });
  return { userPool, client };
}

/** The issuer (`iss`) of a Cognito user pool's tokens, with the partition's domain. */
export const cognitoIssuerOf = (pool: UserPool): string =>
  `https://cognito-idp.${Stack.of(pool).region}.${Stack.of(pool).urlSuffix}/${pool.userPoolId}`;
