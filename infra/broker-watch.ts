/**
 * What watches the broker: the built-in alarms, the token store's, the
 * grants directory's, each routed account's (with several), and the
 * dashboard, made in that order.
 */
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { accountAlarms } from './broker-account-metrics.ts';
import { defaultAlarms, type TokenBrokerAlarmOptions } from './broker-alarms.ts';
import { createBrokerDashboard, tokenStoreAlarms } from './broker-dashboard.ts';
import { grantsDirectoryAlarm } from './broker-grants-watch.ts';

/** What {@link watchBroker} watches. */
export interface BrokerWatchTargets {
  /** The broker function. */
  readonly function: LambdaFunction;
  /** The HTTP API. */
  readonly api: HttpApi;
  /** Whether the token store is on. */
  readonly tokenStore: boolean;
  /** p99 latency that fires the latency alarm, in milliseconds. */
  readonly latencyThresholdMs: number;
  /** The hourly login budget of each account; 0 makes no budget alarm. */
  readonly loginBudgetPerHour: number;
  /** The routed accounts' names, `default` alone with one account. */
  readonly accounts: readonly string[];
  /** Whether the grants directory is on (`grantsTable`). */
  readonly grantsTable: boolean;
}

/** The alarms and the dashboard {@link watchBroker} made. */
export interface BrokerWatch {
  /** The token store errors alarm; none with the store off. */
  readonly storeErrors?: Alarm | undefined;
  /** The one login budget alarm; none with a budget of 0 or with several accounts. */
  readonly loginBudget?: Alarm | undefined;
  /** The grants directory's alarm; none with `grantsTable` off. */
  readonly grantsUnavailable?: Alarm | undefined;
  /** Each account's alarms, by name; empty with one account. */
  readonly accounts: ReadonlyMap<string, readonly Alarm[]>;
  /** The operator's dashboard. */
  readonly dashboard: Dashboard;
}

/**
 * Creates the alarms, each through `addAlarm` (the construct's, which
 * notifies its topic), and the dashboard. With several routed accounts each
 * has its own budget alarm, instead of the one: the function counts each
 * account's logins against the budget on its own.
 */
export function watchBroker(
  scope: Construct,
  addAlarm: (id: string, options: TokenBrokerAlarmOptions) => Alarm,
  t: BrokerWatchTargets,
): BrokerWatch {
  for (const [id, options] of defaultAlarms(t)) addAlarm(id, options);
  const perAccount = accountAlarms(t);
  const [errors, budget] = t.tokenStore ? tokenStoreAlarms(t) : [];
  const storeErrors = errors && addAlarm(...errors);
  const loginBudget = budget && perAccount.length === 0 ? addAlarm(...budget) : undefined;
  const grantsUnavailable = t.grantsTable
    ? addAlarm(...grantsDirectoryAlarm(t.function))
    : undefined;
  const accounts = new Map<string, Alarm[]>();
  for (const [account, id, options] of perAccount) {
    accounts.set(account, [...(accounts.get(account) ?? []), addAlarm(id, options)]);
  }
  const dashboard = createBrokerDashboard(scope, 'Dashboard', t);
  return { storeErrors, loginBudget, grantsUnavailable, accounts, dashboard };
}
