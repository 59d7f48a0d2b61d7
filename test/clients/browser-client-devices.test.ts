/**
 * The browser client's `listDevices`: `GET /tokens/devices` with the same
 * bearer token, timeout, retries and errors as `getTokens`, over real HTTP
 * to a loopback server and through a scripted fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BrowserTokenClient,
  type BrowserTokenClientOptions,
  type DeviceGrantsResult,
  TokenBrokerError,
  TokenBrokerHttpError,
} from '../../clients/browser-client.ts';
import { problemResponse, startScriptedServer } from './browser-fakes.ts';

const GRANTS: DeviceGrantsResult = {
  all: false,
  products: ['pk2'],
  devices: [{ productKey: 'pkA', deviceName: 'cam-1' }],
};

const grantsResponse = () => Response.json(GRANTS);

/** A fetch answering request i with `answers[i]` (the last one over and over), recording each. */
function recordingFetch(...answers: ((signal?: AbortSignal) => Response | Promise<Response>)[]) {
  const requests: {
    url: string;
    method: string;
    headers: Headers;
    body: unknown;
    signal: AbortSignal | undefined;
  }[] = [];
  const doFetch: typeof fetch = async (input, init) => {
    const index = requests.length;
    requests.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: init?.body,
      signal: init?.signal ?? undefined,
    });
    const answer = answers[Math.min(index, answers.length - 1)];
    return (answer as NonNullable<typeof answer>)(init?.signal ?? undefined);
  };
  return { fetch: doFetch, requests };
}

const client = (options: Partial<BrowserTokenClientOptions>) =>
  new BrowserTokenClient({
    baseUrl: 'https://broker.test/',
    getBearerToken: () => 'jwt-1',
    ...options,
  });

/** The error `work` rejects with. */
const failure = (work: Promise<unknown>) =>
  work.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  );

let server: Awaited<ReturnType<typeof startScriptedServer>>;
beforeAll(async () => {
  server = await startScriptedServer([{ status: 200, body: JSON.stringify(GRANTS) }]);
});
afterAll(() => server.close());

describe('BrowserTokenClient.listDevices', () => {
  it('gets the grants over HTTP with the bearer token', async () => {
    // Prepare
    const devices = new BrowserTokenClient({ baseUrl: server.url, getBearerToken: () => 'jwt-9' });
    // Act
    const result = await devices.listDevices();
    // Assess
    expect(result).toEqual(GRANTS);
    expect(server.requests.at(-1)?.authorization).toBe('Bearer jwt-9');
  });

  it('sends GET /tokens/devices without a body, and is never cached', async () => {
    // Prepare
    const { fetch, requests } = recordingFetch(grantsResponse);
    const devices = client({ fetch });
    // Act
    await devices.listDevices();
    await devices.listDevices();
    // Assess
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      url: 'https://broker.test/tokens/devices',
      method: 'GET',
      body: undefined,
    });
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer jwt-1');
    expect(requests[0]?.headers.get('content-type')).toBeNull();
  });

  it('retries a 503 GRANTS_UNAVAILABLE after its Retry-After', async () => {
    // Prepare
    const unavailable = () =>
      problemResponse(503, { code: 'GRANTS_UNAVAILABLE' }, { 'retry-after': '0' });
    const { fetch, requests } = recordingFetch(unavailable, grantsResponse);
    // Act
    const result = await client({ fetch }).listDevices();
    // Assess
    expect(result).toEqual(GRANTS);
    expect(requests).toHaveLength(2);
  });

  it('fails when the directory stays down, with GRANTS_UNAVAILABLE after maxAttempts', async () => {
    // Prepare
    const unavailable = () =>
      problemResponse(503, { code: 'GRANTS_UNAVAILABLE', detail: 'down' }, { 'retry-after': '0' });
    const { fetch, requests } = recordingFetch(unavailable);
    // Act
    const error = await failure(client({ fetch, maxAttempts: 2 }).listDevices());
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerHttpError);
    expect(error).toMatchObject({ code: 'GRANTS_UNAVAILABLE', status: 503, retryAfterSeconds: 0 });
    expect(requests).toHaveLength(2);
  });

  it('fails when API Gateway refuses the token, with UNAUTHENTICATED and no retry', async () => {
    // Prepare
    const { fetch, requests } = recordingFetch(() =>
      Response.json({ message: 'Unauthorized' }, { status: 401 }),
    );
    // Act
    const error = await failure(client({ fetch }).listDevices());
    // Assess
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(requests).toHaveLength(1);
  });

  it('fails when the answer is not DeviceGrantsResult, with UNEXPECTED_RESPONSE', async () => {
    // Prepare
    const { fetch } = recordingFetch(() => Response.json({ tokens: [], failures: [] }));
    // Act
    const error = await failure(client({ fetch }).listDevices());
    // Assess
    expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 200 });
  });

  it('fails when no answer comes within timeoutMs, with TIMEOUT', async () => {
    // Prepare
    const hanging = (signal?: AbortSignal) =>
      new Promise<Response>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    const { fetch, requests } = recordingFetch(hanging);
    // Act
    const error = await failure(client({ fetch }).listDevices({ timeoutMs: 50 }));
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.signal?.aborted).toBe(true);
  });

  it('fails when the signal aborts, with its reason', async () => {
    // Prepare
    const { fetch } = recordingFetch(grantsResponse);
    const reason = new Error('page left');
    // Act
    const error = await failure(
      client({ fetch }).listDevices({ signal: AbortSignal.abort(reason) }),
    );
    // Assess
    expect(error).toBe(reason);
  });

  it('fails when getBearerToken gives no token, without a request', async () => {
    // Prepare
    const { fetch, requests } = recordingFetch(grantsResponse);
    // Act
    const error = await failure(client({ fetch, getBearerToken: () => '' }).listDevices());
    // Assess
    expect(error).toMatchObject({ code: 'BEARER_TOKEN_UNAVAILABLE' });
    expect(requests).toHaveLength(0);
  });
});
