import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../../functions/token-broker/upstream/circuit-breaker.ts';
import { createConcurrencyLimit } from '../../../functions/token-broker/upstream/concurrency-limit.ts';
import { parseRetryAfter } from '../../../functions/token-broker/upstream/login-client.ts';

describe('circuit breaker', () => {
  const setup = () => {
    let now = 0;
    const breaker = createCircuitBreaker({ threshold: 3, cooldownMs: 10_000, now: () => now });
    return { breaker, advance: (ms: number) => (now += ms) };
  };

  it('stays closed while failures are not consecutive', () => {
    // Prepare
    const { breaker } = setup();
    // Act
    for (const ok of [false, false, true, false, false]) {
      breaker.acquire();
      if (ok) breaker.success();
      else breaker.failure();
    }
    // Assess
    expect(breaker.state()).toBe('closed');
    expect(() => breaker.acquire()).not.toThrow();
  });

  it('fails fast with the seconds left of the cooldown as Retry-After', () => {
    // Prepare
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i += 1) breaker.failure();
    // Act
    advance(2_500);
    const attempt = () => breaker.acquire();
    // Assess
    expect(breaker.state()).toBe('open');
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 8 }),
    );
  });

  it('lets exactly one probe through after the cooldown, and closes when it succeeds', () => {
    // Prepare
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i += 1) breaker.failure();
    advance(10_000);
    // Act
    breaker.acquire();
    const second = () => breaker.acquire();
    // Assess
    expect(breaker.state()).toBe('half-open');
    expect(second).toThrow(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }));
    breaker.success();
    expect(breaker.state()).toBe('closed');
  });
});

describe('concurrency limit', () => {
  it('fails when the signal aborts while waiting for a slot, and frees nothing it never held', async () => {
    // Prepare
    const limit = createConcurrencyLimit(1);
    let release: () => void = () => {};
    const holder = limit.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    // Act
    const waiting = limit.run(async () => 'ran', controller.signal);
    controller.abort();
    // Assess
    await expect(waiting).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(limit.active()).toBe(1);
    release();
    await holder;
    expect(limit.active()).toBe(0);
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    // Prepare
    const now = Date.parse('Sun, 22 Nov 2026 00:00:00 GMT');
    // Act / Assess
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
