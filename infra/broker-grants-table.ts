/**
 * The grants directory's table (issue 17): created here or given, and the
 * grants on it, each as narrow as its callers' calls. The broker only reads
 * it; the app's backend (`GrantsClient`) writes it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GRANTS_TABLE_LAYOUT } from '../functions/token-broker/contract.ts';
import { VIA_DYNAMODB } from './broker-token-store.ts';

/**
 * What the broker may do to the table: read one principal's item, or several
 * in the `BatchGetItem` it already makes to the token store. Never a write.
 */
export const GRANTS_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'] as const;

/**
 * What the app's backend needs for `GrantsClient`: `UpdateItem` for `ADD` and
 * `DELETE` on the string set, `GetItem` for `list`. No Scan, no PutItem (a put
 * would replace the set and lose a concurrent writer's entry).
 */
export const GRANTS_WRITE_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:GetItem'] as const;

/**
 * What the broker may do with the table's customer-managed key, when it has
 * one, and only through DynamoDB: unwrap the table key to read items.
 */
export const GRANTS_KEY_READ_ACTIONS = ['kms:Decrypt'] as const;

/** What the app's backend may do with that key, through DynamoDB: read and write items. */
export const GRANTS_KEY_WRITE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
] as const;

/** Options of {@link GrantsTableResources}. */
export interface GrantsTableResourcesProps {
  /**
   * Your own table. With a customer-managed key (`encryptionKey`, as
   * `Table.fromTableAttributes` sets it), the grants cover the key too.
   * @default - a new table, encrypted with the AWS owned key
   */
  readonly table?: ITable;
}

/** The grants directory's table, created or given. */
export class GrantsTableResources extends Construct {
  /** The table the broker reads: created here unless one was given. */
  readonly table: ITable;
  /** The table, when it was created here. */
  readonly createdTable?: Table;

  constructor(scope: Construct, id: string, props: GrantsTableResourcesProps = {}) {
    super(scope, id);
    if (props.table !== undefined) {
      this.table = props.table;
      return;
    }
    // Data, not a cache: the grants exist nowhere else, so the table outlives
    // the stack, can be restored to a second, and cannot be deleted by a click.
    const table = new Table(this, 'Table', {
      partitionKey: { name: GRANTS_TABLE_LAYOUT.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.RETAIN,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
    });
    this.createdTable = table;
    this.table = table;
  }

  /**
   * Lets `grantee` (the broker's role) read items: {@link GRANTS_READ_ACTIONS}
   * on the table only, and {@link GRANTS_KEY_READ_ACTIONS} on its key, if any.
   */
  grantRead(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, GRANTS_READ_ACTIONS, GRANTS_KEY_READ_ACTIONS);
  }

  /**
   * Lets `grantee` (the app's backend) change and list grants:
   * {@link GRANTS_WRITE_ACTIONS} on the table only, and
   * {@link GRANTS_KEY_WRITE_ACTIONS} on its key, if any.
   */
  grantWrite(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, GRANTS_WRITE_ACTIONS, GRANTS_KEY_WRITE_ACTIONS);
  }

  /** Item actions on the table and, with a customer-managed key, key actions through DynamoDB. */
  private grantOnTable(
    grantee: IGrantable,
    itemActions: readonly string[],
    keyActions: readonly string[],
  ): Grant {
    const items = Grant.addToPrincipal({
      grantee,
      actions: [...itemActions],
      resourceArns: [this.table.tableArn],
    });
    const key = this.table.encryptionKey;
    if (key === undefined) return items;
    // Without it DynamoDB cannot unwrap the table key for the caller: every read fails.
    return items.combine(
      Grant.addToPrincipal({
        grantee,
        actions: [...keyActions],
        resourceArns: [key.keyArn],
        conditions: VIA_DYNAMODB,
      }),
    );
  }
}

/**
 * The grants table of a `grantsTable` prop: created for `true`, yours for a
 * table, none when off (`false` or unset).
 */
export function grantsTableFor(
  scope: Construct,
  prop: boolean | ITable | undefined,
): GrantsTableResources | undefined {
  if (prop === undefined || prop === false) return undefined;
  return new GrantsTableResources(scope, 'GrantsTable', prop === true ? {} : { table: prop });
}
