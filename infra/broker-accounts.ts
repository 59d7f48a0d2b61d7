/**
 * Several upstream accounts (issue 18): the secret of each account, created
 * or given, the synth-time checks of their names and routes (the function's
 * own parser and `accountProblems`), and which of them the function reads.
 */
import { Annotations, Arn, ArnFormat, Token, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  accountProblems,
  DEFAULT_ACCOUNT,
  routedAccounts,
} from '../functions/token-broker/accounts.ts';
import { SECRET_PLACEHOLDER_USER_NAME } from '../functions/token-broker/secret-placeholder.ts';
import { formatMap, type SettingMap } from '../functions/token-broker/setting-maps.ts';
import { InvalidSettingError, parseSetting, SETTINGS } from '../functions/token-broker/settings.ts';
import { BATCH_GET_SECRET_VALUE } from './broker-token-store.ts';
import { DEPLOYMENT_SETTINGS } from './token-broker-defaults.ts';
import { TokenBrokerPropsError } from './token-broker-settings.ts';

/** The `accounts` prop: account name → its secret, or `true` to create one with a placeholder. */
export type TokenBrokerAccounts = Readonly<Record<string, ISecret | true>>;

/** What the context value `true` of an account means: create its secret. */
const CREATE = 'true';

/**
 * A credentials secret with a generated placeholder, to be filled in after
 * deploy; the function refuses the placeholder until then.
 * @param account the account's name, for the description; none for `default`.
 */
export function createCredentialsSecret(scope: Construct, id: string, account?: string): Secret {
  const whose = account === undefined ? '' : ` of the upstream account ${account}`;
  const gateway = account === undefined ? '' : ', optionally with "upstreamUrl" (its gateway)';
  return new Secret(scope, id, {
    description: `visual-token-broker developer credentials${whose}. Replace with JSON {"userName":"…","password":"…","appCode":"…"} (or appKey+appSecret instead of appCode)${gateway}; see docs/deploy.md.`,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ userName: SECRET_PLACEHOLDER_USER_NAME }),
      generateStringKey: 'password',
      excludePunctuation: true,
    },
  });
}

/** A credentials secret the construct created carries this acknowledgement. */
export function acknowledgeNoRotation(secret: ISecret): void {
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The secret holds the provider developer account password, which only the provider can change; no rotation Lambda can rotate it. docs/operations.md#rotation documents manual rotation.',
  });
}

/**
 * Checks the accounts' names by the function's rule for `UPSTREAM_ACCOUNTS`
 * (`default` is `secret`'s and refused here).
 * @throws TokenBrokerPropsError naming `accounts`.
 */
export function checkAccountNames(accounts: TokenBrokerAccounts): void {
  const names = Object.fromEntries(Object.keys(accounts).map((name) => [name, CREATE]));
  try {
    parseSetting(DEPLOYMENT_SETTINGS.accounts, formatMap(names));
  } catch (cause) {
    if (!(cause instanceof InvalidSettingError)) throw cause;
    throw new TokenBrokerPropsError('accounts', cause.message);
  }
}

/**
 * The accounts of the context value `name=true,name=<secret name or ARN>`:
 * `true` creates the secret, a name or ARN imports it.
 */
export function accountsFromContext(scope: Construct, text: SettingMap): TokenBrokerAccounts {
  return Object.fromEntries(
    Object.entries(text).map(([name, id]) => [
      name,
      id === CREATE ? true : importSecret(scope, `AccountSecret-${name}`, id),
    ]),
  );
}

/** A secret by name, partial ARN or complete ARN (the one with Secrets Manager's 6-character suffix). */
function importSecret(scope: Construct, id: string, secretId: string): ISecret {
  if (!secretId.startsWith('arn:')) return Secret.fromSecretNameV2(scope, id, secretId);
  const name = Arn.split(secretId, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? '';
  return /-[A-Za-z0-9]{6}$/.test(name)
    ? Secret.fromSecretCompleteArn(scope, id, secretId)
    : Secret.fromSecretPartialArn(scope, id, secretId);
}

/** The accounts' secrets, `default` first; the ones to create are made under `scope`. */
export function accountSecretsOf(
  scope: Construct,
  defaultSecret: ISecret,
  accounts: TokenBrokerAccounts = {},
): ReadonlyMap<string, ISecret> {
  checkAccountNames(accounts);
  const entries = Object.entries(accounts);
  const created = entries.some(([, s]) => s === true) ? new Construct(scope, 'Accounts') : scope;
  return new Map<string, ISecret>([
    [DEFAULT_ACCOUNT, defaultSecret],
    ...entries.map(([name, s]): [string, ISecret] => [
      name,
      s === true ? createdAccountSecret(created, name) : s,
    ]),
  ]);
}

/** An account's secret to create, acknowledged as the default placeholder secret is. */
function createdAccountSecret(scope: Construct, name: string): Secret {
  const secret = createCredentialsSecret(scope, name, name);
  acknowledgeNoRotation(secret);
  return secret;
}

/** `UPSTREAM_ACCOUNTS`: every account beside `default`, name → secret ARN; empty with none. */
export const upstreamAccountsOf = (secrets: ReadonlyMap<string, ISecret>): string =>
  formatMap(
    Object.fromEntries(
      [...secrets].filter(([name]) => name !== DEFAULT_ACCOUNT).map(([n, s]) => [n, s.secretArn]),
    ),
  );

/**
 * The accounts a route names, by the function's own `routedAccounts`: the
 * only secrets it reads, so the only ones it is granted. Routes known only at
 * deploy (a token) may name any account.
 * @param environment the function's, whose `ACCOUNT_ROUTES` holds the routes in their text form.
 * @throws TokenBrokerPropsError when a route names an unknown account.
 */
export function routedSecretsOf(
  scope: Construct,
  secrets: ReadonlyMap<string, ISecret>,
  environment: Readonly<Record<string, string>>,
): ReadonlyMap<string, ISecret> {
  const routesText = environment[SETTINGS.accountRoutes.env] ?? '';
  if (Token.isUnresolved(routesText)) return secrets;
  const settings = {
    secretId: DEFAULT_ACCOUNT,
    // Names stand in for the ARNs, tokens until deploy: routing needs only the names.
    upstreamAccounts: Object.fromEntries([...secrets.keys()].map((n) => [n, n])),
    accountRoutes:
      routesText === ''
        ? undefined
        : (parseSetting(SETTINGS.accountRoutes, routesText) as SettingMap),
  };
  const [wrong] = accountProblems(settings, (f) => (f === 'upstreamAccounts' ? 'accounts' : f));
  if (wrong !== undefined) throw new TokenBrokerPropsError('', wrong);
  const routed = new Map<string, ISecret>();
  for (const name of routedAccounts(settings).keys()) {
    routed.set(name, secrets.get(name) as ISecret);
  }
  for (const name of secrets.keys()) {
    if (routed.has(name)) continue;
    Annotations.of(scope).addWarningV2(
      `visual-token-broker:unrouted-account-${name}`,
      `The account ${name} is in no route of accountRoutes: the function never reads its secret, so it is not granted.`,
    );
  }
  return routed;
}

/**
 * Lets the function read the routed accounts' secrets (`grantRead`: their KMS
 * keys too, through Secrets Manager). With several and no token store, whose
 * policy already allows it, `BatchGetSecretValue` too: the cold start then
 * reads them all in one round trip instead of failing over to one call each.
 * @returns the policy of `BatchGetSecretValue`, when this made one.
 */
export function grantAccountsRead(
  scope: Construct,
  routed: ReadonlyMap<string, ISecret>,
  grantee: { role: IRole; fn: IFunction; storeOn: boolean },
): Policy | undefined {
  for (const secret of routed.values()) secret.grantRead(grantee.fn);
  if (routed.size < 2 || grantee.storeOn) return undefined;
  const policy = new Policy(scope, 'AccountsPolicy', {
    statements: [
      new PolicyStatement({
        sid: 'BatchGetSecretValue',
        actions: [BATCH_GET_SECRET_VALUE],
        resources: ['*'],
      }),
    ],
    roles: [grantee.role],
  });
  grantee.fn.node.addDependency(policy);
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `Only ${BATCH_GET_SECRET_VALUE} is on *: it supports no resource-level permissions, and which secrets it returns is still decided by the per-secret GetSecretValue grants (the routed accounts' credentials only).`,
  });
  return policy;
}
