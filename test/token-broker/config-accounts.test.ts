import { describe, expect, it } from 'vitest';
import { accountProblems, routedAccounts, routeOf } from '../../functions/token-broker/accounts.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { ConfigurationError } from '../../functions/token-broker/errors.ts';
import { formatMap } from '../../functions/token-broker/setting-maps.ts';

const base = { SECRET_ID: 'broker/default', UPSTREAM_URL: 'https://gateway.example.com/' };

describe('UPSTREAM_ACCOUNTS and ACCOUNT_ROUTES', () => {
  it('reads accounts and routes as maps, a value keeping its own =', () => {
    // Act
    const config = loadConfig({
      ...base,
      UPSTREAM_ACCOUNTS: ' cn = broker/cn , eu=arn:aws:secretsmanager:eu-west-1:1:secret:a=b ',
      ACCOUNT_ROUTES: 'pkCn=cn,*=eu',
    });
    // Assess
    expect(config.upstreamAccounts).toEqual({
      cn: 'broker/cn',
      eu: 'arn:aws:secretsmanager:eu-west-1:1:secret:a=b',
    });
    expect(config.accountRoutes).toEqual({ pkCn: 'cn', '*': 'eu' });
  });

  it('routes every product to default when both are unset', () => {
    // Act
    const config = loadConfig(base);
    // Assess
    expect([...routedAccounts(config)]).toEqual([['default', 'broker/default']]);
    expect(routeOf({ '*': 'default' }, 'anyPk')).toBe('default');
  });

  it('reads only the accounts a route names, in route order', () => {
    // Prepare
    const settings = {
      secretId: 'broker/default',
      upstreamAccounts: { cn: 'broker/cn', eu: 'broker/eu', us: 'broker/us' },
      accountRoutes: { pkEu: 'eu', pkCn: 'cn', pkCn2: 'cn' },
    };
    // Act
    const routed = routedAccounts(settings);
    // Assess
    expect([...routed]).toEqual([
      ['eu', 'broker/eu'],
      ['cn', 'broker/cn'],
    ]);
    expect(routeOf(settings.accountRoutes, 'pkUs')).toBeUndefined();
    expect(routeOf(settings.accountRoutes, 'constructor')).toBeUndefined();
  });

  it('fails when a route names an account that does not exist', () => {
    // Act
    const load = () => loadConfig({ ...base, ACCOUNT_ROUTES: 'pk1=cn' });
    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(
      'ACCOUNT_ROUTES routes pk1 to the account cn, which is neither default nor in UPSTREAM_ACCOUNTS',
    );
  });

  it.each([
    [
      'UPSTREAM_ACCOUNTS',
      'default=broker/x',
      'UPSTREAM_ACCOUNTS keys must be an account name other than default',
    ],
    [
      'UPSTREAM_ACCOUNTS',
      'Cn=broker/x',
      'UPSTREAM_ACCOUNTS keys must be an account name other than default',
    ],
    ['UPSTREAM_ACCOUNTS', 'cn', 'UPSTREAM_ACCOUNTS entries must be key=value, got "cn"'],
    [
      'UPSTREAM_ACCOUNTS',
      'cn=a b',
      'UPSTREAM_ACCOUNTS values must be a secret name or ARN, got "a b" for cn',
    ],
    ['UPSTREAM_ACCOUNTS', 'cn=a,cn=b', 'UPSTREAM_ACCOUNTS names cn twice'],
    ['ACCOUNT_ROUTES', 'p-k=default', 'ACCOUNT_ROUTES keys must be a product key or *, got "p-k"'],
    ['ACCOUNT_ROUTES', 'pk=', 'ACCOUNT_ROUTES values must be an account name'],
    ['ACCOUNT_ROUTES', ' , ', 'ACCOUNT_ROUTES is set but names no key=value pair'],
  ])('fails when %s is %s', (name, value, message) => {
    // Act
    const load = () => loadConfig({ ...base, [name]: value });
    // Assess
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(message);
  });

  it('names the settings by the caller’s spelling in its problems', () => {
    // Act
    const problems = accountProblems(
      { secretId: 's', accountRoutes: { '*': 'gone' } },
      (field) => `props.${field}`,
    );
    // Assess
    expect(problems).toEqual([
      'props.accountRoutes routes * to the account gone, which is neither default nor in props.upstreamAccounts',
    ]);
  });

  it('formats a map back to the text it was parsed from', () => {
    // Act
    const text = formatMap({ cn: 'broker/cn', '*': 'default' });
    // Assess
    expect(loadConfig({ ...base, UPSTREAM_ACCOUNTS: 'cn=broker/cn' }).upstreamAccounts).toEqual({
      cn: 'broker/cn',
    });
    expect(text).toBe('cn=broker/cn,*=default');
  });
});
