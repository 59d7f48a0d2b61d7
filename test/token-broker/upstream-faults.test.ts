/**
 * Each upstream fault end to end: API Gateway event → handler → broker →
 * resilient upstream → real loopback simulator, and back to the caller.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorFault } from '../../functions/local/simulator-faults.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';

const dev = (n: number) => ({ productKey: 'pk1', deviceName: `dev${n}` });

let simulator: UpstreamSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function setup(fault?: SimulatorFault, env: Record<string, string> = {}) {
  simulator = await startUpstreamSimulator({ account: PLANTED, ...(fault ? { fault } : {}) });
  const config = loadConfig(
    { SECRET_ID: 'test', UPSTREAM_URL: simulator.url, ...env },
    { allowLoopbackHttp: true },
  );
  const logger = captureLogger();
  const { handler } = createRuntime(config, {
    metrics: NO_METRICS,
    secretSource: fakeSecretSource(PLANTED_SECRET),
    logger,
    sleep: async () => {},
  });
  const call = async (devices: object[], remainingMs = 10_000) =>
    (await handler(
      httpApiEvent({ body: { devices } }),
      lambdaContext(remainingMs),
    )) as HttpResponse;
  return { sim: simulator, handler, logger, call };
}

/** No password, AppCode or visual token in what the caller or the log sees. */
function assertNoSecrets(response: HttpResponse, log: string[]) {
  for (const text of [response.body, JSON.stringify(response.headers), log.join('\n')]) {
    expect(text).not.toContain(PLANTED.password);
    expect(text).not.toContain(PLANTED.appCode);
  }
  expect(log.join('\n')).not.toContain('eyJ');
}

describe('upstream faults as the caller sees them', () => {
  it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After while the circuit is open', async () => {
    // Prepare
    const { sim, call, logger } = await setup(
      { kind: 'status-503' },
      { CIRCUIT_BREAKER_THRESHOLD: '3', UPSTREAM_MAX_RETRIES: '2' },
    );
    await call([dev(1)]);
    // Act
    const response = await call([dev(1)]);
    // Assess
    expect(sim.requests()).toBe(3);
    expect(
      logger.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'token request'),
    ).toEqual([
      expect.objectContaining({ upstreamAttempts: 3, outcome: 'UPSTREAM_ERROR' }),
      expect.objectContaining({ upstreamAttempts: 0, outcome: 'UPSTREAM_UNAVAILABLE' }),
    ]);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('30');
    expect(JSON.parse(response.body)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    assertNoSecrets(response, logger.lines);
  });

  it('answers 502 UPSTREAM_REJECTED for success:false, with the upstream msg in the log only', async () => {
    // Prepare
    const { sim, call, logger } = await setup({ kind: 'success-false' });
    // Act
    const response = await call([dev(1)]);
    // Assess
    expect(sim.requests()).toBe(1);
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body).code).toBe('UPSTREAM_REJECTED');
    expect(response.body).not.toContain('incorrect');
    expect(logger.lines.join('\n')).toContain('user name or password is incorrect');
    assertNoSecrets(response, logger.lines);
  });

  it('keeps a credential out of the log when the upstream msg quotes it', async () => {
    // Prepare
    const { call, logger } = await setup({ kind: 'echo-password' });
    // Act
    const response = await call([dev(1)]);
    // Assess
    expect(JSON.parse(response.body).code).toBe('UPSTREAM_REJECTED');
    expect(logger.lines.join('\n')).toContain('redacted');
    assertNoSecrets(response, logger.lines);
  });

  it.each(['oversize', 'malformed', 'redirect'] as const)(
    'answers 502 UPSTREAM_ERROR for a %s response, after one attempt',
    async (kind) => {
      // Prepare
      const { sim, call, logger } = await setup({ kind });
      // Act
      const response = await call([dev(1)]);
      // Assess
      expect(sim.requests()).toBe(1);
      expect(response.statusCode).toBe(502);
      expect(JSON.parse(response.body).code).toBe('UPSTREAM_ERROR');
      assertNoSecrets(response, logger.lines);
    },
  );

  it('answers 504 UPSTREAM_TIMEOUT at once when the Lambda has too little time left', async () => {
    // Prepare
    const { sim, call } = await setup();
    // Act
    const response = await call([dev(1)], 300);
    // Assess
    expect(sim.requests()).toBe(0);
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(response.body).code).toBe('UPSTREAM_TIMEOUT');
  });

  it('fails the one device whose token names another device in its JWT sub', async () => {
    // Prepare
    const { call } = await setup({ kind: 'wrong-sub' });
    // Act
    const response = await call([dev(1), dev(2)]);
    // Assess
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(200);
    expect(body.tokens.map((t: { deviceName: string }) => t.deviceName)).toEqual(['dev2']);
    expect(body.failures).toEqual([
      expect.objectContaining({ deviceName: 'dev1', code: 'UPSTREAM_INVALID_TOKEN' }),
    ]);
  });

  it('passes on neither unasked devices nor extra fields', async () => {
    // Prepare
    const { call } = await setup({ kind: 'extra' });
    // Act
    const response = await call([dev(1)]);
    // Assess
    const body = JSON.parse(response.body);
    expect(Object.keys(body).sort()).toEqual(['failures', 'tokens']);
    expect(body.tokens).toHaveLength(1);
    expect(Object.keys(body.tokens[0]).sort()).toEqual(
      ['deviceName', 'expiresAt', 'expiresIn', 'productKey', 'visualToken'].sort(),
    );
    expect(response.body).not.toContain('stranger');
    expect(response.body).not.toContain('upstream-only');
  });

  it('reports a device left out of a partial list as UPSTREAM_NO_TOKEN', async () => {
    // Prepare
    const { call } = await setup({ kind: 'partial' });
    // Act
    const response = await call([dev(1), dev(2)]);
    // Assess
    const body = JSON.parse(response.body);
    expect(body.tokens).toHaveLength(1);
    expect(body.failures).toEqual([
      expect.objectContaining({ deviceName: 'dev2', code: 'UPSTREAM_NO_TOKEN' }),
    ]);
  });

  it('fans a large request out in UPSTREAM_BATCH_SIZE batches under UPSTREAM_MAX_CONCURRENT_LOGINS', async () => {
    // Prepare
    const { sim, call } = await setup(
      { kind: 'delay', delayMs: 30 },
      { UPSTREAM_BATCH_SIZE: '2', UPSTREAM_MAX_CONCURRENT_LOGINS: '2' },
    );
    // Act
    const response = await call([1, 2, 3, 4, 5, 6, 7].map(dev));
    // Assess
    expect(JSON.parse(response.body).tokens).toHaveLength(7);
    expect(sim.logins.map((l) => l.devices.length).sort()).toEqual([1, 2, 2, 2]);
    expect(sim.concurrency().max).toBe(2);
  });

  it('fails a direct invocation with the error name UpstreamUnavailableError while the circuit is open', async () => {
    // Prepare
    const { handler, call } = await setup(
      { kind: 'status-500' },
      { CIRCUIT_BREAKER_THRESHOLD: '1', UPSTREAM_MAX_RETRIES: '0' },
    );
    await call([dev(1)]);
    // Act
    const invoke = handler({ devices: [dev(1)] }, lambdaContext());
    // Assess
    await expect(invoke).rejects.toMatchObject({ name: 'UpstreamUnavailableError' });
  });
});

/** One row of the fault matrix: what the simulator plays and what the caller must see. */
interface FaultRow {
  readonly fault: SimulatorFault;
  readonly status: number;
  readonly code: string;
  readonly attempts: number;
  readonly remainingMs?: number;
  readonly env?: Record<string, string>;
}

const MATRIX: ReadonlyArray<[string, FaultRow]> = [
  [
    'latency beyond the Lambda deadline',
    {
      fault: { kind: 'delay', delayMs: 5000 },
      status: 504,
      code: 'UPSTREAM_TIMEOUT',
      attempts: 1,
      remainingMs: 1500,
    },
  ],
  [
    'latency beyond the attempt timeout',
    {
      fault: { kind: 'delay', delayMs: 5000 },
      status: 504,
      code: 'UPSTREAM_TIMEOUT',
      attempts: 3,
      env: { UPSTREAM_TIMEOUT_MS: '150' },
    },
  ],
  [
    'a connection reset',
    { fault: { kind: 'reset' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 3 },
  ],
  ['a 500', { fault: { kind: 'status-500' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 3 }],
  ['a 503', { fault: { kind: 'status-503' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 3 }],
  ['a 429', { fault: { kind: 'status-429' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 3 }],
  // A client error is this request's fault, not a passing one: retrying a
  // bad login can lock the developer account.
  [
    'a plain 404',
    { fault: { kind: 'status-404' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 1 },
  ],
  [
    'a 400 with no gateway error header',
    { fault: { kind: 'status-400' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 1 },
  ],
  ['a redirect', { fault: { kind: 'redirect' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 1 }],
  [
    'malformed JSON',
    { fault: { kind: 'malformed' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 1 },
  ],
  [
    'an oversized body',
    { fault: { kind: 'oversize' }, status: 502, code: 'UPSTREAM_ERROR', attempts: 1 },
  ],
  [
    'success:false',
    { fault: { kind: 'success-false' }, status: 502, code: 'UPSTREAM_REJECTED', attempts: 1 },
  ],
  [
    'a 401 from the gateway',
    { fault: { kind: 'unauthorized' }, status: 502, code: 'UPSTREAM_REJECTED', attempts: 1 },
  ],
  [
    'a partial list',
    { fault: { kind: 'partial' }, status: 200, code: 'UPSTREAM_NO_TOKEN', attempts: 1 },
  ],
  [
    'a wrong JWT sub',
    { fault: { kind: 'wrong-sub' }, status: 200, code: 'UPSTREAM_INVALID_TOKEN', attempts: 1 },
  ],
];

describe('the upstream fault matrix', () => {
  it.each(MATRIX)(
    'answers %s with the right status, code and attempts, inside the Lambda deadline',
    async (_name, row) => {
      // Prepare
      const { sim, handler, logger } = await setup(row.fault, {
        UPSTREAM_MAX_RETRIES: '2',
        CIRCUIT_BREAKER_THRESHOLD: '10',
        ...row.env,
      });
      const context = lambdaContext(row.remainingMs ?? 10_000);
      // Act
      const response = (await handler(
        httpApiEvent({ body: { devices: [dev(1), dev(2)] } }),
        context,
      )) as HttpResponse;
      const timeLeft = context.getRemainingTimeInMillis();
      // Assess
      expect(timeLeft).toBeGreaterThan(0);
      expect(response.statusCode).toBe(row.status);
      const body = JSON.parse(response.body);
      if (row.status === 200) {
        expect(body.tokens).toHaveLength(1);
        expect(body.failures).toEqual([expect.objectContaining({ code: row.code })]);
      } else {
        expect(body).toMatchObject({ status: row.status, code: row.code });
        expect(response.headers['content-type']).toBe('application/problem+json');
      }
      expect(sim.requests()).toBe(row.attempts);
      const line = logger.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.message === 'token request');
      expect(line).toMatchObject({ upstreamAttempts: row.attempts, status: row.status });
      assertNoSecrets(response, logger.lines);
    },
  );
});
