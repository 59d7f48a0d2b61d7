import { describe, expect, it } from 'vitest';
import { ENV, loadConfig } from '../../functions/token-broker/config.ts';
import { ConfigurationError } from '../../functions/token-broker/errors.ts';

const load = (upstreamUrl: string, allowLoopbackHttp = false) =>
  loadConfig({ SECRET_ID: 's', UPSTREAM_URL: upstreamUrl }, { allowLoopbackHttp });

describe('config: UPSTREAM_URL is fixed configuration', () => {
  it('accepts an https URL and drops a trailing slash', () => {
    // Act
    const config = load('https://gateway.example.com/base/');
    // Assess
    expect(config.upstreamUrl).toBe('https://gateway.example.com/base');
  });

  it('accepts http to loopback in local mode', () => {
    // Act
    const config = load('http://127.0.0.1:4000', true);
    // Assess
    expect(config.upstreamUrl).toBe('http://127.0.0.1:4000');
  });

  it.each([
    ['http outside local mode', 'http://127.0.0.1:4000', false, /must use https/],
    [
      'http to a non-loopback host in local mode',
      'http://gateway.example.com',
      true,
      /only to loopback/,
    ],
    ['it has user info', 'https://user:pw@gateway.example.com', false, /user info/],
    ['it has a query string', 'https://gateway.example.com/?a=1', false, /query string/],
    ['it is not a URL', 'gateway.example.com', false, /not a valid URL/],
  ])('fails when %s, naming the variable', (_case, url, local, message) => {
    // Act
    const attempt = () => load(url, local);
    // Assess
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(ENV.upstreamUrl);
  });

  it('fails when a resilience setting is out of range, naming the variable', () => {
    // Act
    const attempt = () =>
      loadConfig({
        SECRET_ID: 's',
        UPSTREAM_URL: 'https://g.example.com',
        CIRCUIT_BREAKER_THRESHOLD: '0',
      });
    // Assess
    expect(attempt).toThrow(/CIRCUIT_BREAKER_THRESHOLD must be a whole number from 1/);
  });

  it('reads the resilience settings with their defaults', () => {
    // Act
    const config = load('https://g.example.com');
    // Assess
    expect(config).toMatchObject({
      upstreamTimeoutMs: 3000,
      upstreamMaxRetries: 2,
      upstreamMaxConcurrentLogins: 4,
      circuitBreakerThreshold: 5,
      circuitBreakerCooldownSeconds: 30,
    });
  });
});
