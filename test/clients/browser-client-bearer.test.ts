/**
 * The bearer token: `getBearerToken` (what a Cognito caller sends is the ID
 * token, not an access token), its deprecated alias `getAccessToken`, and a
 * provider that fails, which becomes a TokenBrokerError with its cause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserTokenClient,
  type BrowserTokenClientOptions,
  TokenBrokerError,
} from '../../clients/browser-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';
import { scriptedFetch, tokensResponse } from './browser-fakes.ts';

const A = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({
    metrics: NO_METRICS,
    env: {},
    port: 0,
    logger: captureLogger(),
  });
});
afterAll(() => server.close());

const scripted = (options: Partial<BrowserTokenClientOptions>) => {
  const broker = scriptedFetch((devices) => tokensResponse(devices));
  const client = new BrowserTokenClient({
    baseUrl: 'http://broker.test',
    fetch: broker.fetch,
    ...options,
  });
  return { client, broker };
};

describe('BrowserTokenClient bearer token', () => {
  it('gets tokens from the local server with the JWT getBearerToken gives', async () => {
    // Prepare
    const client = new BrowserTokenClient({ baseUrl: server.url, getBearerToken: issueDevToken });
    // Act
    const result = await client.getTokens([A]);
    // Assess
    expect(result.tokens.map((t) => t.deviceName)).toEqual(['2ac4d7cffa']);
  });

  it('still takes the deprecated getAccessToken', async () => {
    // Prepare
    const { client, broker } = scripted({ getAccessToken: () => 'old-jwt' });
    // Act
    await client.getTokens([A]);
    // Assess
    expect(broker.requests.map((r) => r.authorization)).toEqual(['Bearer old-jwt']);
  });

  it('prefers getBearerToken when both are given', async () => {
    // Prepare
    const { client, broker } = scripted({
      getBearerToken: () => 'id-token',
      getAccessToken: () => 'access-token',
    });
    // Act
    await client.getTokens([A]);
    // Assess
    expect(broker.requests.map((r) => r.authorization)).toEqual(['Bearer id-token']);
  });

  it('fails when neither is given, naming getBearerToken', () => {
    // Act
    const act = () => new BrowserTokenClient({ baseUrl: 'http://broker.test' });
    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow(/getBearerToken/);
  });

  it('fails when getBearerToken throws, with BEARER_TOKEN_UNAVAILABLE and its error as cause', async () => {
    // Prepare
    const cause = new Error('session expired');
    const { client, broker } = scripted({
      getBearerToken: () => {
        throw cause;
      },
    });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(error).toMatchObject({
      name: 'TokenBrokerError',
      code: 'BEARER_TOKEN_UNAVAILABLE',
      message: expect.stringContaining('session expired'),
      cause,
    });
    expect(broker.requests).toHaveLength(0);
  });

  it('fails when getBearerToken rejects, with BEARER_TOKEN_UNAVAILABLE', async () => {
    // Prepare
    const cause = new Error('refresh token revoked');
    const { client } = scripted({ getBearerToken: () => Promise.reject(cause) });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'BEARER_TOKEN_UNAVAILABLE', cause });
  });

  it('fails when getBearerToken gives no token (signed out), before sending', async () => {
    // Prepare
    const { client, broker } = scripted({ getBearerToken: async () => '' });
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'BEARER_TOKEN_UNAVAILABLE' });
    expect(broker.requests).toHaveLength(0);
  });
});
