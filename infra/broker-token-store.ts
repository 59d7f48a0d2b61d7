/**
 * The fleet-wide token store's resources (issue 13): the DynamoDB table, the
 * secret holding the store's encryption key, and the function's grants on
 * them, each as narrow as the store's calls allow.
 */
import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../functions/token-broker/store/token-store.ts';

/**
 * What the function may do to the table's items: the store reads with
 * BatchGetItem and writes with conditional UpdateItem; the others are the
 * item verbs the issue allows. No Scan or Query (the broker never lists the
 * table), nothing table-level.
 */
export const TOKEN_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/**
 * What the function may do with the table's KMS key, and only through
 * DynamoDB (`kms:ViaService`): DynamoDB unwraps and wraps the table key with
 * the caller's permissions when it reads or writes items.
 */
export const TOKEN_TABLE_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
] as const;

/**
 * The condition that lets a principal use a table's KMS key only through
 * DynamoDB, which unwraps the table key with the caller's permissions: never
 * a direct `kms:Decrypt` of anything else the key encrypts.
 */
export const VIA_DYNAMODB = {
  StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` },
} as const;

/**
 * Reads the credentials and the store key in one round trip. It has no
 * resource-level permissions (it must be granted on `*`); the per-secret
 * `GetSecretValue` grants still decide which secrets it returns.
 */
export const BATCH_GET_SECRET_VALUE = 'secretsmanager:BatchGetSecretValue';

/** Options of {@link TokenStoreResources}. */
export interface TokenStoreResourcesProps {
  /** Your own table; none creates one. */
  readonly table?: ITable;
  /**
   * Customer-managed key of the table (created or given).
   * @default - the given table's own `encryptionKey` (as `Table.fromTableAttributes` sets it), else none
   */
  readonly encryptionKey?: IKey;
}

/** The token store's table and key secret, created or given. */
export class TokenStoreResources extends Construct {
  /** The table the store uses: created here unless one was given. */
  readonly table: ITable;
  /** The table, when it was created here. */
  readonly createdTable?: Table;
  /** The secret holding the store's encryption key: 64 random alphanumeric characters. */
  readonly keySecret: Secret;
  /** The table's customer-managed key, when there is one. */
  readonly encryptionKey?: IKey;

  constructor(scope: Construct, id: string, props: TokenStoreResourcesProps) {
    super(scope, id);
    // A table imported with its key needs the grant as much as one given with the prop.
    this.encryptionKey = props.encryptionKey ?? props.table?.encryptionKey;
    if (props.table === undefined) {
      const table = new Table(this, 'Table', {
        partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: TTL_ATTRIBUTE,
        // A cache: every item can be rebuilt by a login, so it goes with the stack.
        removalPolicy: RemovalPolicy.DESTROY,
        ...(props.encryptionKey === undefined
          ? {}
          : { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }),
      });
      Validations.of(table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason:
          'The token table is a cache of short-lived tokens: a miss costs one upstream login, and a restored table would hold expired tokens and stale leases. Point-in-time recovery would be paid for and never used.',
      });
      this.createdTable = table;
      this.table = table;
    } else {
      this.table = props.table;
    }
    this.keySecret = new Secret(this, 'KeySecret', {
      description:
        'visual-token-broker token store key: 64 random characters from which the function derives the AES-256-GCM key of the tokens in the token table. Generated; never edit.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.keySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the token store key makes every stored token unreadable: each becomes a miss and costs a new upstream login, the one thing the store exists to save. Rotate by hand when the key may have leaked (docs/deploy.md "Fleet token store"); a rotation Lambda would only add logins.',
    });
  }

  /**
   * Grants `role` item access to the table (and its key through DynamoDB),
   * read of the key secret, and `BatchGetSecretValue`, in a policy of its
   * own so its one `*` resource carries its own acknowledgement.
   * @returns the policy holding the statements.
   */
  grantTo(role: IRole, fn: IFunction): Policy {
    const statements = [
      new PolicyStatement({
        sid: 'TokenTableItems',
        actions: [...TOKEN_TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
      new PolicyStatement({
        sid: 'BatchGetSecretValue',
        actions: [BATCH_GET_SECRET_VALUE],
        resources: ['*'],
      }),
    ];
    if (this.encryptionKey !== undefined) {
      statements.push(
        new PolicyStatement({
          sid: 'TokenTableKeyViaDynamoDB',
          effect: Effect.ALLOW,
          actions: [...TOKEN_TABLE_KEY_ACTIONS],
          resources: [this.encryptionKey.keyArn],
          conditions: VIA_DYNAMODB,
        }),
      );
    }
    const policy = new Policy(this, 'Policy', { statements, roles: [role] });
    this.keySecret.grantRead(role);
    // The function must not run before it may read the store.
    fn.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Only ${BATCH_GET_SECRET_VALUE} is on *: it supports no resource-level permissions, and which secrets it returns is still decided by the per-secret GetSecretValue grants (the credentials and the store key only). The table and its key are granted by ARN.`,
    });
    return policy;
  }
}
