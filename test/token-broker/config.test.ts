import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV, loadConfig } from '../../functions/token-broker/config.ts';

const base = { SECRET_ID: 'secret', UPSTREAM_URL: 'https://gateway.example.com/' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadConfig(base);
    // Assess
    expect(config).toMatchObject({
      secretId: 'secret',
      upstreamUrl: 'https://gateway.example.com',
      maxDevicesPerRequest: DEFAULTS.maxDevicesPerRequest,
      minTokenValiditySeconds: 300,
      upstreamBatchSize: 20,
      secretCacheSeconds: 300,
      secretMaxStaleSeconds: 3600,
      upstreamTimeoutMs: 3000,
      corsAllowedOrigins: [],
      allowedProductKeys: undefined,
      deviceScopeClaim: 'devices',
    });
  });

  it('reads every setting from its variable', () => {
    // Act
    const config = loadConfig({
      ...base,
      [ENV.maxDevicesPerRequest]: '5',
      [ENV.minTokenValiditySeconds]: '60',
      [ENV.upstreamBatchSize]: '7',
      [ENV.secretMaxStaleSeconds]: '0',
      [ENV.allowedProductKeys]: 'pkA, pkB',
      [ENV.corsAllowedOrigins]: 'https://www.example.com,http://127.0.0.1:3001',
    });
    // Assess
    expect(config).toMatchObject({
      maxDevicesPerRequest: 5,
      minTokenValiditySeconds: 60,
      upstreamBatchSize: 7,
      secretMaxStaleSeconds: 0,
      allowedProductKeys: ['pkA', 'pkB'],
      corsAllowedOrigins: ['https://www.example.com', 'http://127.0.0.1:3001'],
    });
  });

  it.each([
    ['SECRET_ID is missing', { UPSTREAM_URL: base.UPSTREAM_URL }, /SECRET_ID is required/],
    [
      'SECRET_MAX_STALE_SECONDS is over a day',
      { ...base, SECRET_MAX_STALE_SECONDS: '86401' },
      /SECRET_MAX_STALE_SECONDS must be a whole number from 0 to 86400/,
    ],
    ['UPSTREAM_URL is missing', { SECRET_ID: 's' }, /UPSTREAM_URL is required/],
    [
      'UPSTREAM_URL is http',
      { ...base, UPSTREAM_URL: 'http://gateway.example.com' },
      /UPSTREAM_URL must use https/,
    ],
    [
      'UPSTREAM_URL has user info',
      { ...base, UPSTREAM_URL: 'https://u:p@gateway.example.com' },
      /UPSTREAM_URL must not contain user info/,
    ],
    [
      'UPSTREAM_URL has a query',
      { ...base, UPSTREAM_URL: 'https://gateway.example.com/?a=1' },
      /UPSTREAM_URL must not contain a query/,
    ],
    [
      'UPSTREAM_URL is not a URL',
      { ...base, UPSTREAM_URL: 'gateway' },
      /UPSTREAM_URL is not a valid URL/,
    ],
    [
      'MAX_DEVICES_PER_REQUEST is not a number',
      { ...base, MAX_DEVICES_PER_REQUEST: 'ten' },
      /MAX_DEVICES_PER_REQUEST must be a whole number/,
    ],
    [
      'UPSTREAM_BATCH_SIZE is zero',
      { ...base, UPSTREAM_BATCH_SIZE: '0' },
      /UPSTREAM_BATCH_SIZE must be a whole number from 1/,
    ],
    ['LOG_LEVEL is unknown', { ...base, LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of/],
    [
      'a CORS origin is a pattern',
      { ...base, CORS_ALLOWED_ORIGINS: 'https://*.example.com' },
      /CORS_ALLOWED_ORIGINS entries must be exact origins/,
    ],
    [
      'a CORS origin has a path',
      { ...base, CORS_ALLOWED_ORIGINS: 'https://www.example.com/' },
      /CORS_ALLOWED_ORIGINS/,
    ],
    [
      'a product key is invalid',
      { ...base, ALLOWED_PRODUCT_KEYS: 'pk/1' },
      /ALLOWED_PRODUCT_KEYS holds an invalid product key/,
    ],
  ])('fails when %s, naming the variable', (_case, env, message) => {
    expect(() => loadConfig(env)).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('allows http to loopback only in local mode', () => {
    // Act
    const local = loadConfig(
      { ...base, UPSTREAM_URL: 'http://127.0.0.1:8080' },
      { allowLoopbackHttp: true },
    );
    const remote = () =>
      loadConfig({ ...base, UPSTREAM_URL: 'http://10.0.0.1:8080' }, { allowLoopbackHttp: true });
    // Assess
    expect(local.upstreamUrl).toBe('http://127.0.0.1:8080');
    expect(remote).toThrow(/http: is allowed only to loopback/);
  });

  it('fails when a host name merely starts with "127." in local mode', () => {
    // Act
    const act = () =>
      loadConfig({ ...base, UPSTREAM_URL: 'http://127.evil.example' }, { allowLoopbackHttp: true });
    // Assess
    expect(act).toThrow(/http: is allowed only to loopback/);
  });
});
