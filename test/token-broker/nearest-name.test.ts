import { describe, expect, it } from 'vitest';
import { ENV, settingLookalikes } from '../../functions/token-broker/config.ts';
import { nearestName } from '../../functions/token-broker/nearest-name.ts';

const KNOWN = ['MAX_DEVICES_PER_REQUEST', 'PORT', 'upstreamUrl', 'TOKEN_TABLE'];

describe('nearestName', () => {
  it.each([
    ['MAX_DEVICE_PER_REQUEST', 'MAX_DEVICES_PER_REQUEST'],
    ['max_devices_per_request', 'MAX_DEVICES_PER_REQUEST'],
    ['upstreamURL', 'upstreamUrl'],
    ['UPSTREAM_URL', 'upstreamUrl'],
    ['TOKEN_TABEL', 'TOKEN_TABLE'],
    ['PORTS', 'PORT'],
  ])('takes %s for %s', (name, expected) => {
    // Act
    const nearest = nearestName(name, KNOWN);
    // Assess
    expect(nearest).toBe(expected);
  });

  it.each(['HOST', 'PATH', 'TERM', 'MAX_ITEMS', 'PORT', 'upstreamUrl'])(
    'finds nothing for %s (too far, or known)',
    (name) => {
      // Act
      const nearest = nearestName(name, KNOWN);
      // Assess
      expect(nearest).toBeUndefined();
    },
  );

  it('prefers the closest of two candidates', () => {
    // Act
    const nearest = nearestName('TOKEN_LEASE_SECOND', ['TOKEN_LEASE_SECONDS', 'TOKEN_LEASE_SECS']);
    // Assess
    expect(nearest).toBe('TOKEN_LEASE_SECONDS');
  });
});

describe('settingLookalikes', () => {
  it('lists a close spelling and a name in a family of settings, and nothing else', () => {
    // Prepare
    const env = {
      [ENV.maxDevicesPerRequest]: '5',
      MAX_DEVICE_PER_REQUEST: '1',
      CIRCUIT_BREAKER_LIMIT: '3',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: 'index.handler',
      NODE_OPTIONS: '--enable-source-maps',
      TZ: ':UTC',
    };
    // Act
    const found = settingLookalikes(env);
    // Assess
    expect(found).toEqual([
      { name: 'MAX_DEVICE_PER_REQUEST', nearest: 'MAX_DEVICES_PER_REQUEST' },
      { name: 'CIRCUIT_BREAKER_LIMIT', nearest: undefined },
    ]);
  });

  it('fails when another tool’s copy of a setting is taken for a typo: DD_LOG_LEVEL', () => {
    // Prepare
    const env = { DD_LOG_LEVEL: 'debug', X_SECRET_ID: 'y', LOG_LEVLE: 'info' };
    // Act
    const found = settingLookalikes(env);
    // Assess: the typo is still caught.
    expect(found).toEqual([{ name: 'LOG_LEVLE', nearest: 'LOG_LEVEL' }]);
  });
});
