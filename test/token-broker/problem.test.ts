import { describe, expect, it } from 'vitest';
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

  it('names an unexpected error InternalError', () => {
    // Act
    const out = toInvokeError(new TypeError('x is undefined'), 'req-1');
    // Assess
    expect(out.name).toBe('InternalError');
    expect(out.message).toMatch(/^INTERNAL_ERROR: /);
  });
});
