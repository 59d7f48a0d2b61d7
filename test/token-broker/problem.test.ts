import { describe, expect, it } from 'vitest';
import { invokeErrorMessage, retryAfterSecondsOf } from '../../functions/token-broker/contract.ts';
import { ERROR_CATALOGUE } from '../../functions/token-broker/error-catalogue.ts';
import {
  ConfigurationError,
  MethodNotAllowedError,
  UpstreamBudgetExceededError,
  UpstreamUnavailableError,
} from '../../functions/token-broker/errors.ts';
import { problemResponse, toInvokeError, toProblem } from '../../functions/token-broker/problem.ts';

describe('problem responses', () => {
  it.each([
    [new UpstreamUnavailableError('circuit open', 30), { 'retry-after': '30' }],
    [new UpstreamBudgetExceededError('account x: 1000 logins', 1200), { 'retry-after': '1200' }],
    [new MethodNotAllowedError('GET'), { allow: 'POST' }],
  ])('adds the headers %s calls for', (error, headers) => {
    // Act
    const response = problemResponse(error, 'req-1', { vary: 'Origin' });
    // Assess
    expect(response.headers).toEqual({
      'cache-control': 'no-store',
      'content-type': 'application/problem+json',
      vary: 'Origin',
      ...headers,
    });
    expect(JSON.parse(response.body)).toEqual(toProblem(error, 'req-1'));
  });

  it('answers UPSTREAM_BUDGET_EXCEEDED with its public detail, not the message', () => {
    // Act
    const problem = toProblem(new UpstreamBudgetExceededError('account x: 1000 logins', 5), 'r');
    // Assess
    expect(problem).toMatchObject({ status: 429, code: 'UPSTREAM_BUDGET_EXCEEDED' });
    expect(problem.detail).not.toContain('account x');
  });

  it('gives a direct invoker the class name and the public detail, no stack or cause', () => {
    // Prepare
    const error = new ConfigurationError('Secret prod/x lacks "password"', { cause: new Error() });
    // Act
    const out = toInvokeError(error, 'req-1');
    // Assess
    expect(out.name).toBe('ConfigurationError');
    expect(out.message).toMatch(/^CONFIGURATION_ERROR: /);
    expect(out.message).not.toContain('prod/x');
    expect(out.cause).toBeUndefined();
    expect(out.stack).toBe(`ConfigurationError: ${out.message}`);
  });

  it.each([
    ['UPSTREAM_UNAVAILABLE', new UpstreamUnavailableError('circuit open', 30), '30'],
    [
      'UPSTREAM_BUDGET_EXCEEDED',
      new UpstreamBudgetExceededError('account x: 1000 logins', 1200),
      '1200',
    ],
  ])(
    'gives a direct invoker the wait of %s in the message’s wait field, as no header reaches it',
    (_code, error, wait) => {
      // Act
      const out = toInvokeError(error, 'req-1');
      // Assess
      expect(out.message).toMatch(
        new RegExp(`^${error.code}: .* \\[retryAfterSeconds=${wait}\\]$`),
      );
      expect(retryAfterSecondsOf(out.message)).toBe(Number(wait));
      expect(out.message).not.toMatch(/retry-after/i);
    },
  );

  it('names no wait in a direct invoker’s message when the error has none', () => {
    // Act
    const out = toInvokeError(new ConfigurationError('Secret prod/x lacks "password"'), 'req-1');
    // Assess
    expect(out.message).not.toContain('retryAfterSeconds');
    expect(retryAfterSecondsOf(out.message)).toBeUndefined();
  });

  it('sends no caller to a Retry-After header in any public detail', () => {
    // Prepare
    const details = Object.values(ERROR_CATALOGUE).flatMap((entry) =>
      entry.kind === 'problem' && entry.publicDetail !== undefined ? [entry.publicDetail] : [],
    );
    // Assess
    expect(details.length).toBeGreaterThan(0);
    expect(details.filter((d) => /retry-after/i.test(d))).toEqual([]);
  });

  it('reads back the wait the message was written with, and nothing from a message without it', () => {
    // Act
    const written = invokeErrorMessage('UPSTREAM_UNAVAILABLE', 'Retry later.', '7');
    // Assess
    expect(written).toBe('UPSTREAM_UNAVAILABLE: Retry later. [retryAfterSeconds=7]');
    expect(retryAfterSecondsOf(written)).toBe(7);
    expect(retryAfterSecondsOf('UPSTREAM_UNAVAILABLE: [retryAfterSeconds=7] Retry later.')).toBe(
      undefined,
    );
    expect(retryAfterSecondsOf('UPSTREAM_UNAVAILABLE: Retry later. [retryAfterSeconds=x]')).toBe(
      undefined,
    );
  });

  it('names an unexpected error InternalError', () => {
    // Act
    const out = toInvokeError(new TypeError('x is undefined'), 'req-1');
    // Assess
    expect(out.name).toBe('InternalError');
    expect(out.message).toMatch(/^INTERNAL_ERROR: /);
  });
});
