import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';

const devices = [{ productKey: 'pk1', deviceName: 'dev1' }];

describe('planted credentials never leak', () => {
  const seen: string[] = [];
  const logger = captureLogger();
  let good: UpstreamSimulator;
  let refusing: UpstreamSimulator;
  let wrongAppCode: UpstreamSimulator;

  beforeAll(async () => {
    good = await startUpstreamSimulator({ account: PLANTED });
    refusing = await startUpstreamSimulator({ account: { ...PLANTED, password: 'other' } });
    wrongAppCode = await startUpstreamSimulator({ account: { ...PLANTED, appCode: 'other' } });
  });
  afterAll(async () => {
    await Promise.all([good.close(), refusing.close(), wrongAppCode.close()]);
  });

  const run = async (upstreamUrl: string, secret: string, event: unknown) => {
    const config = loadConfig(
      { SECRET_ID: 's', UPSTREAM_URL: upstreamUrl },
      { allowLoopbackHttp: true },
    );
    const { handler } = createRuntime(config, { secretSource: fakeSecretSource(secret), logger });
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    seen.push(JSON.stringify(response));
    return response;
  };

  it.each([
    ['a successful request', () => good.url, PLANTED_SECRET, { devices }, 200],
    [
      'an invalid request',
      () => good.url,
      PLANTED_SECRET,
      { devices: [{ productKey: '', deviceName: 'x' }] },
      400,
    ],
    ['the upstream refusing the login', () => refusing.url, PLANTED_SECRET, { devices }, 502],
    ['the gateway refusing the AppCode', () => wrongAppCode.url, PLANTED_SECRET, { devices }, 502],
    ['the upstream being down', () => 'http://127.0.0.1:9', PLANTED_SECRET, { devices }, 502],
    [
      'a secret that is not JSON',
      () => good.url,
      `{${PLANTED.password} ${PLANTED.appCode}`,
      { devices },
      500,
    ],
    [
      'a secret with a misspelt key',
      () => good.url,
      JSON.stringify({ ...PLANTED, appcode: PLANTED.appCode }),
      { devices },
      500,
    ],
  ])('for %s', async (_case, url, secret, body, status) => {
    // Act
    const response = await run(url(), secret, httpApiEvent({ body }));
    // Assess
    expect(response.statusCode).toBe(status);
  });

  it('leaves no planted password or AppCode in any log line or response', () => {
    // Assess
    const everything = [...seen, ...logger.lines];
    expect(seen).toHaveLength(7);
    expect(logger.lines.length).toBeGreaterThanOrEqual(7);
    for (const text of everything) {
      expect(text).not.toContain(PLANTED.password);
      expect(text).not.toContain(PLANTED.appCode);
    }
  });

  it('keeps visual tokens out of the logs', () => {
    // Prepare
    const tokens = seen
      .map((s) => JSON.parse(JSON.parse(s).body))
      .flatMap((b: { tokens?: Array<{ visualToken: string }> }) => b.tokens ?? [])
      .map((t) => t.visualToken);
    // Assess
    expect(tokens.length).toBeGreaterThan(0);
    for (const line of logger.lines) {
      for (const token of tokens) expect(line).not.toContain(token);
    }
  });
});
