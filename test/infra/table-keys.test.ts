/**
 * Customer-managed KMS keys on the tables you give: a grants table or a
 * token table imported with its `encryptionKey` gets the function (and, for
 * the grants table, the app's backend) the key actions its calls need,
 * through DynamoDB only, on that key only; cdk-nag stays clean.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.ts';
import { NO_BUNDLING, onlyLogicalId, synthConstructWith } from './support.ts';

const GIVEN_IDP = {
  jwtIssuer: 'https://tenant.eu.auth0.com/',
  jwtAudience: ['https://broker.example.com'],
} as const;

const GRANTS_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/broker-grants';
const TOKENS_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/broker-tokens';
const IMPORTED_KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** DynamoDB as the only way to the key, spelt out so the test does not trust the code's. */
const VIA_DYNAMODB = {
  StringEquals: {
    'kms:ViaService': {
      'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    },
  },
};

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** The statements naming a kms action, of the policies attached to the roles matching `role`. */
function kmsStatementsOf(template: Template, role: RegExp) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => asList(p.Properties.Roles).some((r) => role.test(JSON.stringify(r))))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
    .filter((s) => asList(s.Action).some((a) => String(a).startsWith('kms:')));
}

/** The broker with the props made in its stack, and its template. */
const synth = (props: (stack: Stack) => Partial<TokenBrokerProps>) =>
  synthConstructWith((stack) => ({ ...GIVEN_IDP, ...props(stack) }));

/** A rotating key in `stack`, as the tables' owners would make it. */
const newKey = (stack: Stack, id: string) => new Key(stack, id, { enableKeyRotation: true });

/** Your grants table, imported with its key. */
const grantsTableWithKey = (stack: Stack) => ({
  grantsTable: Table.fromTableAttributes(stack, 'GivenGrants', {
    tableArn: GRANTS_ARN,
    encryptionKey: newKey(stack, 'GrantsKey'),
  }),
});

describe('grants table: your own, with a customer-managed key', () => {
  test('the function may kms:Decrypt with that key only, through DynamoDB only', () => {
    // Prepare
    const { template } = synth(grantsTableWithKey);
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key');

    // Act
    const kms = kmsStatementsOf(template, /FunctionRole/);

    // Assess
    expect(kms).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: VIA_DYNAMODB,
      },
    ]);
  });

  test('a key imported by ARN is granted by that ARN', () => {
    // Prepare, Act
    const { template } = synth((stack) => ({
      grantsTable: Table.fromTableAttributes(stack, 'GivenGrants', {
        tableArn: GRANTS_ARN,
        encryptionKey: Key.fromKeyArn(stack, 'GrantsKey', IMPORTED_KEY_ARN),
      }),
    }));

    // Assess
    expect(kmsStatementsOf(template, /FunctionRole/)).toMatchObject([
      { Action: 'kms:Decrypt', Resource: IMPORTED_KEY_ARN, Condition: VIA_DYNAMODB },
    ]);
  });

  test('grantGrantsWrite lets the backend decrypt and encrypt with it, through DynamoDB only', () => {
    // Prepare
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, 'Host');
    const broker = new TokenBroker(stack, 'Broker', {
      upstreamUrl: 'https://gateway.example.com',
      ...GIVEN_IDP,
      ...grantsTableWithKey(stack),
    });
    const backend = new Role(stack, 'Backend', {
      assumedBy: new AccountPrincipal('111122223333'),
    });

    // Act
    broker.grantGrantsWrite(backend);
    const template = Template.fromStack(stack);

    // Assess
    expect(kmsStatementsOf(template, /Backend/)).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::KMS::Key'), 'Arn'] },
        Condition: VIA_DYNAMODB,
      },
    ]);
  });

  test.each([
    ['created with grantsTable: true', () => ({ grantsTable: true })],
    [
      'yours, without a key',
      (stack: Stack) => ({
        grantsTable: Table.fromTableArn(stack, 'GivenGrants', GRANTS_ARN),
      }),
    ],
  ])('no kms statement for a grants table %s', (_, props) => {
    // Prepare, Act
    const { template } = synth(props);

    // Assess
    expect(kmsStatementsOf(template, /.*/)).toEqual([]);
  });
});

describe('token store: your own table, with a customer-managed key', () => {
  test('the function may decrypt, encrypt and generate data keys with the table’s key, through DynamoDB only', () => {
    // Prepare
    const { template } = synth((stack) => ({
      tokenTable: Table.fromTableAttributes(stack, 'GivenTokens', {
        tableArn: TOKENS_ARN,
        encryptionKey: newKey(stack, 'TokensKey'),
      }),
    }));
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key');

    // Act
    const kms = kmsStatementsOf(template, /FunctionRole/);

    // Assess
    expect(kms).toEqual([
      {
        Sid: 'TokenTableKeyViaDynamoDB',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: VIA_DYNAMODB,
      },
    ]);
  });

  test('tokenTableEncryptionKey, when given too, is the key granted', () => {
    // Prepare, Act
    const { template } = synth((stack) => ({
      tokenTable: Table.fromTableAttributes(stack, 'GivenTokens', {
        tableArn: TOKENS_ARN,
        encryptionKey: Key.fromKeyArn(stack, 'StaleKey', IMPORTED_KEY_ARN),
      }),
      tokenTableEncryptionKey: newKey(stack, 'TokensKey'),
    }));

    // Assess
    expect(kmsStatementsOf(template, /FunctionRole/).map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::KMS::Key'), 'Arn'] },
    ]);
  });
});

describe('cdk-nag with customer-managed keys on both tables', () => {
  test('AwsSolutions and Serverless report nothing unresolved', () => {
    // Prepare
    const built = synth((stack) => ({
      ...grantsTableWithKey(stack),
      tokenTable: Table.fromTableAttributes(stack, 'GivenTokens', {
        tableArn: TOKENS_ARN,
        encryptionKey: newKey(stack, 'TokensKey'),
      }),
    }));

    // Act
    const reports = [new AwsSolutionsChecks(built.app), new ServerlessChecks(built.app)].map(
      (pack) => pack.validateScope(built.stack),
    );

    // Assess
    expect(kmsStatementsOf(built.template, /FunctionRole/)).toHaveLength(2);
    for (const report of reports) {
      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    }
  });
});
