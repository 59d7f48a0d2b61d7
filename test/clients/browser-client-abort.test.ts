/**
 * A browser client call ends when its caller's signal aborts or its timeout
 * passes, never hangs, and never cuts off another call sharing its request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserTokenClient, TokenBrokerError } from '../../clients/browser-client.ts';
import { type FaultServer, startHangingServer } from '../support/store-fault-servers.ts';
import { hanging, scriptedFetch, tokensResponse } from './browser-fakes.ts';

const A = { productKey: 'pkA', deviceName: 'cam-1' };
const B = { productKey: 'pkB', deviceName: 'cam-2' };

let hangingBroker: FaultServer;
beforeAll(async () => {
  hangingBroker = await startHangingServer();
});
afterAll(() => hangingBroker.close());

/** A broker that never answers: each request settles only when aborted. */
function silentBroker() {
  const broker = scriptedFetch(hanging(() => broker.requests.at(-1)?.signal));
  return broker;
}

const clientOf = (doFetch: typeof fetch, timeoutMs?: number) =>
  new BrowserTokenClient({
    baseUrl: 'http://broker.test',
    getBearerToken: () => 'jwt',
    fetch: doFetch,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

describe('BrowserTokenClient timeout', () => {
  it('fails when the broker never answers over real HTTP, with TIMEOUT after timeoutMs', async () => {
    // Prepare
    const client = new BrowserTokenClient({
      baseUrl: hangingBroker.endpoint,
      getBearerToken: () => 'jwt',
      timeoutMs: 200,
    });
    const started = performance.now();
    // Act
    const error = await client.getTokens([A]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(error).toMatchObject({ name: 'TokenBrokerError', code: 'TIMEOUT' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(hangingBroker.count()).toBeGreaterThan(0);
  });

  it('fails when a call’s own timeoutMs passes, before the client’s', async () => {
    // Prepare
    const broker = silentBroker();
    const client = clientOf(broker.fetch, 60_000);
    // Act
    const error = await client.getTokens([A], { timeoutMs: 50 }).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(broker.requests[0]?.signal?.aborted).toBe(true);
  });
});

describe('BrowserTokenClient signal', () => {
  it('fails when the caller’s signal aborts, with its reason, and aborts the request', async () => {
    // Prepare
    const broker = silentBroker();
    const controller = new AbortController();
    const reason = new Error('user left the page');
    const pending = clientOf(broker.fetch)
      .getTokens([A], { signal: controller.signal })
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Act
    controller.abort(reason);
    const error = await pending;
    // Assess
    expect(error).toBe(reason);
    expect(broker.requests).toHaveLength(1);
    expect(broker.requests[0]?.signal?.aborted).toBe(true);
  });

  it('fails when the signal is aborted already, without a request', async () => {
    // Prepare
    const broker = silentBroker();
    // Act
    const error = await clientOf(broker.fetch)
      .getTokens([A], { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(broker.requests).toHaveLength(0);
  });

  it('keeps a shared request going for the call still waiting when another aborts', async () => {
    // Prepare
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const broker = scriptedFetch(async (devices) => {
      await gate;
      return tokensResponse(devices);
    });
    const client = clientOf(broker.fetch);
    const controller = new AbortController();
    const leaving = client.getTokens([A], { signal: controller.signal }).catch((e: unknown) => e);
    const staying = client.getTokens([A, B]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Act
    controller.abort();
    await leaving;
    const abortedWhileShared = broker.requests[0]?.signal?.aborted;
    release();
    const [left, stayed] = await Promise.all([leaving, staying]);
    // Assess
    expect(left).toMatchObject({ name: 'AbortError' });
    expect(stayed.tokens.map((t) => t.deviceName)).toEqual(['cam-1', 'cam-2']);
    expect(broker.requests).toHaveLength(1);
    expect(abortedWhileShared).toBe(false);
  });

  it('aborts a shared request once every call waiting on it has given up', async () => {
    // Prepare
    const broker = silentBroker();
    const client = clientOf(broker.fetch);
    const one = new AbortController();
    const two = new AbortController();
    const calls = [
      client.getTokens([A], { signal: one.signal }).catch((e: unknown) => e),
      client.getTokens([A], { signal: two.signal }).catch((e: unknown) => e),
    ];
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Act
    one.abort();
    await calls[0];
    const afterOne = broker.requests[0]?.signal?.aborted;
    two.abort();
    await calls[1];
    // Assess
    expect(broker.requests).toHaveLength(1);
    expect(afterOne).toBe(false);
    expect(broker.requests[0]?.signal?.aborted).toBe(true);
  });

  it('asks afresh after an aborted request, rather than joining it', async () => {
    // Prepare
    let answer = false;
    const broker = scriptedFetch((devices) =>
      answer ? tokensResponse(devices) : hanging(() => broker.requests.at(-1)?.signal)(devices, 0),
    );
    const client = clientOf(broker.fetch);
    const controller = new AbortController();
    const first = client.getTokens([A], { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await first;
    answer = true;
    // Act
    const second = await client.getTokens([A]);
    // Assess
    expect(second.tokens).toHaveLength(1);
    expect(broker.requests).toHaveLength(2);
  });
});
