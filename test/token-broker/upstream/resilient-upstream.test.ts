import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SimulatorFault } from '../../../functions/local/simulator-faults.ts';
import {
  type SimulatorAccount,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../../functions/local/upstream-simulator.ts';
import {
  type Credentials,
  createCredentialsProvider,
} from '../../../functions/token-broker/credentials.ts';
import { createCircuitBreaker } from '../../../functions/token-broker/upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from '../../../functions/token-broker/upstream/concurrency-limit.ts';
import {
  createLoginClient,
  type LoginCallOptions,
  type LoginClient,
} from '../../../functions/token-broker/upstream/login-client.ts';
import { createResilientUpstream } from '../../../functions/token-broker/upstream/resilient-upstream.ts';
import { captureLogger, fakeSecretSource, PLANTED } from '../../support/fakes.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const device = (n: number) => ({ productKey: 'pk1', deviceName: `dev${n}` });
const ACCOUNT: SimulatorAccount = { ...PLANTED };
const creds: Credentials = {
  userName: PLANTED.userName,
  password: PLANTED.password,
  gateway: { mode: 'appCode', appCode: PLANTED.appCode },
};

interface SetupOptions {
  readonly fault?: SimulatorFault;
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
  readonly threshold?: number;
  readonly maxConcurrent?: number;
  readonly secret?: () => string;
}

let simulator: UpstreamSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function setup(options: SetupOptions = {}) {
  simulator = await startUpstreamSimulator({
    account: ACCOUNT,
    ...(options.fault ? { fault: options.fault } : {}),
  });
  let now = T0;
  const sleeps: number[] = [];
  const timeouts: Array<number | undefined> = [];
  const logger = captureLogger();
  const secret = options.secret ?? (() => JSON.stringify(PLANTED));
  const source = fakeSecretSource(async () => secret());
  const credentials = createCredentialsProvider({
    source,
    ttlSeconds: 300,
    now: () => now,
    logger,
  });
  const transport = createLoginClient({ baseUrl: simulator.url, timeoutMs: 3000 });
  // Records what each attempt was allowed; the transport below is the real one.
  const recording: LoginClient = {
    login(c, d, call: LoginCallOptions = {}) {
      timeouts.push(call.timeoutMs);
      return transport.login(c, d, call);
    },
  };
  const upstream = createResilientUpstream({
    client: recording,
    credentials,
    breaker: createCircuitBreaker({
      threshold: options.threshold ?? 5,
      cooldownMs: 30_000,
      now: () => now,
    }),
    limit: createConcurrencyLimit(options.maxConcurrent ?? 4),
    maxRetries: options.maxRetries ?? 2,
    timeoutMs: options.timeoutMs ?? 3000,
    logger,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  return {
    sim: simulator,
    upstream,
    credentials,
    source,
    logger,
    sleeps,
    timeouts,
    advance: (ms: number) => (now += ms),
    deadlineIn: (ms: number) => now + ms,
  };
}

const noSecretsIn = (text: string) => {
  for (const value of Object.values(PLANTED).filter((v) => v !== PLANTED.userName)) {
    expect(text).not.toContain(value);
  }
  expect(text).not.toContain('eyJ');
};

describe('resilient upstream: retries', () => {
  it('retries a 503 with capped exponential backoff and full jitter, then succeeds', async () => {
    // Prepare
    const { sim, upstream, sleeps, logger } = await setup({
      fault: { kind: 'status-503', times: 2 },
    });
    // Act
    const tokens = await upstream.login(creds, [device(1)]);
    // Assess
    expect(tokens).toHaveLength(1);
    expect(sim.requests()).toBe(3);
    expect(sleeps).toEqual([50, 100]); // random 0.5 × ceilings 100 and 200
    noSecretsIn(logger.lines.join('\n'));
  });

  it('fails when 5xx persists, after UPSTREAM_MAX_RETRIES retries and no more', async () => {
    // Prepare
    const { sim, upstream } = await setup({ fault: { kind: 'status-500' }, maxRetries: 2 });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(sim.requests()).toBe(3);
  });

  it('caps the backoff ceiling however many retries are allowed', async () => {
    // Prepare
    const { sim, upstream, sleeps } = await setup({
      fault: { kind: 'status-503' },
      maxRetries: 6,
      threshold: 10,
    });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(sim.requests()).toBe(7);
    expect(sleeps).toEqual([50, 100, 200, 400, 800, 1000]); // ceilings 100…1600, then capped at 2000
  });

  it('stops retrying once the circuit opens mid-way', async () => {
    // Prepare
    const { sim, upstream } = await setup({
      fault: { kind: 'status-503' },
      maxRetries: 6,
      threshold: 3,
    });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(sim.requests()).toBe(3);
  });

  it('retries a connection reset', async () => {
    // Prepare
    const { sim, upstream } = await setup({ fault: { kind: 'reset', times: 1 } });
    // Act
    const tokens = await upstream.login(creds, [device(1)]);
    // Assess
    expect(tokens).toHaveLength(1);
    expect(sim.requests()).toBe(2);
  });

  it('honours Retry-After of a 429 when it fits the deadline', async () => {
    // Prepare
    const { sim, upstream, sleeps, deadlineIn } = await setup({
      fault: { kind: 'status-429', times: 1, retryAfterSeconds: 2 },
    });
    // Act
    const tokens = await upstream.login(creds, [device(1)], { deadline: deadlineIn(10_000) });
    // Assess
    expect(tokens).toHaveLength(1);
    expect(sleeps).toEqual([2000]);
    expect(sim.requests()).toBe(2);
  });

  it('fails at once when a 429 asks for a wait beyond the deadline', async () => {
    // Prepare
    const { sim, upstream, sleeps, deadlineIn } = await setup({
      fault: { kind: 'status-429', retryAfterSeconds: 60 },
    });
    // Act
    const attempt = upstream.login(creds, [device(1)], { deadline: deadlineIn(10_000) });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(sleeps).toEqual([]);
    expect(sim.requests()).toBe(1);
  });

  it.each([
    ['redirect', 'UPSTREAM_ERROR'],
    ['malformed', 'UPSTREAM_ERROR'],
    ['success-false', 'UPSTREAM_REJECTED'],
  ] as const)('never retries %s (answers %s after one attempt)', async (kind, code) => {
    // Prepare
    const { sim, upstream, sleeps } = await setup({ fault: { kind } });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code });
    expect(sim.requests()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('fails when the upstream redirects, without sending anything to the Location', async () => {
    // Prepare
    const { sim, upstream } = await setup({ fault: { kind: 'redirect' } });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(sim.paths).toEqual(['/v1.0/openapi/visual/d/user/login']);
  });
});

describe('resilient upstream: deadlines', () => {
  it('fails when an attempt exceeds UPSTREAM_TIMEOUT_MS, with UPSTREAM_TIMEOUT', async () => {
    // Prepare
    const { sim, upstream } = await setup({
      fault: { kind: 'delay', delayMs: 5000 },
      timeoutMs: 100,
      maxRetries: 0,
    });
    // Act
    const attempt = upstream.login(creds, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 504 });
    expect(sim.requests()).toBe(1);
  });

  it('bounds each attempt by the deadline less the safety margin', async () => {
    // Prepare
    const { upstream, timeouts, deadlineIn } = await setup({ timeoutMs: 3000 });
    // Act
    await upstream.login(creds, [device(1)], { deadline: deadlineIn(1250) });
    // Assess
    expect(timeouts).toEqual([1000]); // 1250 − 250 ms margin, below UPSTREAM_TIMEOUT_MS
  });

  it('stops retrying before the deadline: the time taken stays within it', async () => {
    // Prepare
    const { sim, upstream, sleeps, deadlineIn, advance } = await setup({
      fault: { kind: 'status-503' },
      maxRetries: 10,
      threshold: 100,
    });
    const start = advance(0);
    const deadline = deadlineIn(1000);
    // Act
    const attempt = upstream.login(creds, [device(1)], { deadline });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    // Waits 50, 100, 200; the next (400) would end past 1000 − 250 ms margin − 100 ms floor.
    expect(sleeps).toEqual([50, 100, 200]);
    expect(sim.requests()).toBe(4);
    expect(advance(0) - start).toBeLessThanOrEqual(deadline - start);
  });

  it('fails at once with UPSTREAM_TIMEOUT when the time left cannot fit an attempt', async () => {
    // Prepare
    const { sim, upstream, deadlineIn } = await setup();
    // Act
    const attempt = upstream.login(creds, [device(1)], { deadline: deadlineIn(300) });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(sim.requests()).toBe(0);
  });

  it('stops when the caller aborts (middy signal), without retrying', async () => {
    // Prepare
    const { sim, upstream } = await setup({ fault: { kind: 'delay', delayMs: 5000 } });
    const controller = new AbortController();
    // Act
    const attempt = upstream.login(creds, [device(1)], { signal: controller.signal });
    // Abort once the upstream holds the request, as middy does near the timeout.
    await vi.waitFor(() => expect(sim.requests()).toBe(1));
    controller.abort();
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(sim.requests()).toBe(1);
  });
});

describe('resilient upstream: circuit breaker', () => {
  it('opens after CIRCUIT_BREAKER_THRESHOLD failures, answers 503 with Retry-After, then lets one probe through', async () => {
    // Prepare
    const { sim, upstream, advance } = await setup({
      fault: { kind: 'status-503' },
      threshold: 2,
      maxRetries: 0,
    });
    await expect(upstream.login(creds, [device(1)])).rejects.toMatchObject({ status: 502 });
    await expect(upstream.login(creds, [device(1)])).rejects.toMatchObject({ status: 502 });
    // Act
    const whileOpen = upstream.login(creds, [device(1)]);
    // Assess
    await expect(whileOpen).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 503,
      retryAfterSeconds: 30,
    });
    expect(sim.requests()).toBe(2);

    // Act: after the cooldown, one probe while others are refused
    advance(30_000);
    sim.setFault({ kind: 'delay', delayMs: 100 });
    const probe = upstream.login(creds, [device(1)]);
    const concurrent = upstream.login(creds, [device(2)]);
    // Assess
    await expect(concurrent).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    await expect(probe).resolves.toHaveLength(1);
    expect(sim.requests()).toBe(3);
    await expect(upstream.login(creds, [device(3)])).resolves.toHaveLength(1);
  });

  it('reopens when the half-open probe fails', async () => {
    // Prepare
    const { sim, upstream, advance } = await setup({
      fault: { kind: 'status-500' },
      threshold: 1,
      maxRetries: 0,
    });
    await expect(upstream.login(creds, [device(1)])).rejects.toMatchObject({ status: 502 });
    advance(30_000);
    // Act
    await expect(upstream.login(creds, [device(1)])).rejects.toMatchObject({ status: 502 });
    const after = upstream.login(creds, [device(1)]);
    // Assess
    await expect(after).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(sim.requests()).toBe(2);
  });
});

describe('resilient upstream: rotation-safe credentials', () => {
  it('re-reads a rotated secret once for many concurrent refusals, and retries once', async () => {
    // Prepare
    let secret = JSON.stringify(PLANTED);
    const { sim, upstream, credentials, source, logger } = await setup({ secret: () => secret });
    const stale = await credentials.get();
    const rotated = { ...PLANTED, password: 'canary-rotated-password-3d7a' };
    sim.setAccount(rotated);
    secret = JSON.stringify(rotated);
    // Act
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => upstream.login(stale, [device(n)])),
    );
    // Assess
    expect(results.map((r) => r.length)).toEqual([1, 1, 1, 1, 1]);
    expect(source.reads).toBe(2); // the first get, then one refresh for all five
    expect(sim.logins.filter((l) => l.body.includes(rotated.password))).toHaveLength(5);
    noSecretsIn(logger.lines.join('\n'));
    expect(logger.lines.join('\n')).not.toContain(rotated.password);
  });

  it('picks up a rotated AppSecret after the gateway answers Invalid Signature', async () => {
    // Prepare
    const signed = { userName: 'u', password: 'p', appKey: 'k', appSecret: 'canary-old-secret' };
    let secret = JSON.stringify(signed);
    const { sim, upstream, credentials } = await setup({ secret: () => secret });
    sim.setAccount(signed);
    const stale = await credentials.get();
    const rotated = { ...signed, appSecret: 'canary-new-secret' };
    sim.setAccount(rotated);
    secret = JSON.stringify(rotated);
    // Act
    const tokens = await upstream.login(stale, [device(1)]);
    // Assess
    expect(tokens).toHaveLength(1);
    expect(sim.requests()).toBe(2);
  });

  it('fails when the secret is unchanged, with UPSTREAM_REJECTED without a second login', async () => {
    // Prepare
    const { sim, upstream, credentials, source } = await setup();
    const current = await credentials.get();
    sim.setAccount({ ...PLANTED, password: 'someone-else-changed-it' });
    // Act
    const attempt = upstream.login(current, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED', status: 502 });
    expect(sim.logins).toHaveLength(1);
    expect(source.reads).toBe(2);
  });

  it('fails when the re-read secret is refused too, with UPSTREAM_REJECTED and no third attempt', async () => {
    // Prepare
    let secret = JSON.stringify(PLANTED);
    const { sim, upstream, credentials } = await setup({
      fault: { kind: 'unauthorized' },
      secret: () => secret,
    });
    const stale = await credentials.get();
    secret = JSON.stringify({ ...PLANTED, password: 'canary-also-wrong-8c21' });
    // Act
    const attempt = upstream.login(stale, [device(1)]);
    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: expect.stringContaining('not trying a third time'),
    });
    expect(sim.requests()).toBe(2);
  });
});

describe('resilient upstream: concurrent logins', () => {
  it('fails when no login slot frees up before the deadline, with UPSTREAM_TIMEOUT', async () => {
    // Prepare
    const { sim, upstream, deadlineIn } = await setup({
      fault: { kind: 'delay', delayMs: 800 },
      maxConcurrent: 1,
      maxRetries: 0,
    });
    const holder = upstream.login(creds, [device(1)]);
    // Act
    const waiting = upstream.login(creds, [device(2)], { deadline: deadlineIn(450) });
    // Assess
    await expect(waiting).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(sim.requests()).toBe(1);
    await expect(holder).resolves.toHaveLength(1);
  });

  it('runs at most UPSTREAM_MAX_CONCURRENT_LOGINS logins at once', async () => {
    // Prepare
    const { sim, upstream } = await setup({
      fault: { kind: 'delay', delayMs: 50 },
      maxConcurrent: 2,
    });
    // Act
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => upstream.login(creds, [device(n)])),
    );
    // Assess
    expect(results).toHaveLength(6);
    expect(sim.requests()).toBe(6);
    expect(sim.concurrency().max).toBe(2);
  });
});
