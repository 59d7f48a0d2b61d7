import { describe, expect, test } from 'vitest';
import {
  CLIENT_FAILURE_CODES,
  DEVICE_FAILURE_CODES,
  ERROR_CODES,
  errorCodeOfType,
  errorTypeOf,
} from '../../functions/token-broker/contract.ts';
import { ERROR_CATALOGUE, problemEntry } from '../../functions/token-broker/error-catalogue.ts';
import * as errors from '../../functions/token-broker/errors.ts';
import { literalCounts } from '../support/source-literals.ts';

const {
  BrokerError,
  ForbiddenDeviceError,
  InvalidRequestError,
  UpstreamBudgetExceededError,
  UpstreamUnavailableError,
} = errors;

type AnyErrorClass = new (...args: unknown[]) => errors.BrokerError;

const errorClasses = (Object.entries(errors) as Array<[string, unknown]>).filter(
  (entry): entry is [string, AnyErrorClass] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof BrokerError,
);

const argsFor = (cls: AnyErrorClass): unknown[] =>
  cls === (ForbiddenDeviceError as unknown)
    ? [[]]
    : cls === (InvalidRequestError as unknown)
      ? ['devices', 'must be an array']
      : cls === (UpstreamUnavailableError as unknown) ||
          cls === (UpstreamBudgetExceededError as unknown)
        ? ['circuit open', 30]
        : ['message'];

describe('broker errors', () => {
  test('there is a class per error code except INTERNAL_ERROR', () => {
    // Prepare
    const codes = errorClasses.map(([, cls]) => new cls(...argsFor(cls)).code).sort();

    // Act
    const expected = errors.ERROR_CODES.filter((c) => c !== 'INTERNAL_ERROR').sort();

    // Assess
    expect(codes).toEqual(expected);
  });

  // The bundle is minified without keepNames, so a name taken from the class
  // at run time would be mangled; the literal must match the exported name.
  test.each(errorClasses)('%s spells its own class name as `name`', (exported, cls) => {
    // Prepare
    const args = argsFor(cls);

    // Act
    const error = new cls(...args);

    // Assess
    expect(error.name).toBe(exported);
    expect(Object.hasOwn(error, 'name')).toBe(true);
  });

  // The Lambda client maps `errorType` back to the code by the contract's rule.
  test.each(errorClasses)('%s is the errorType the contract derives from its code', (_, cls) => {
    // Prepare
    const error = new cls(...argsFor(cls));

    // Act
    const errorType = errorTypeOf(error.code);

    // Assess
    expect(errorType).toBe(error.name);
    expect(errorCodeOfType(errorType)).toBe(error.code);
  });

  test.each(errorClasses)('%s takes its status and title from the catalogue', (_, cls) => {
    // Act
    const error = new cls(...argsFor(cls));

    // Assess
    expect(error).toMatchObject({
      status: ERROR_CATALOGUE[error.code].status,
      title: ERROR_CATALOGUE[error.code].title,
    });
  });

  test('keeps the cause it wraps', () => {
    // Prepare
    const cause = new Error('socket hang up');

    // Act
    const error = new errors.UpstreamError('Upstream request failed', { cause });

    // Assess
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  test('UpstreamBudgetExceededError answers 429 and carries its Retry-After', () => {
    // Act
    const error = new UpstreamBudgetExceededError('1000 logins this hour', 1200);

    // Assess
    expect(error).toMatchObject({
      code: 'UPSTREAM_BUDGET_EXCEEDED',
      status: 429,
      retryAfterSeconds: 1200,
    });
  });
});

describe('error catalogue', () => {
  test('has a problem entry per error code and a device-failure entry per failure code', () => {
    // Act
    const kinds = Object.fromEntries(
      Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.kind]),
    );

    // Assess
    expect(kinds).toEqual({
      ...Object.fromEntries(errors.ERROR_CODES.map((code) => [code, 'problem'])),
      ...Object.fromEntries(
        Object.values(errors.DEVICE_FAILURE_CODES).map((code) => [code, 'device-failure']),
      ),
    });
  });

  // A 5xx message may name internals, so the caller gets the public detail.
  test('gives every 5xx a public detail', () => {
    // Act
    const missing = errors.ERROR_CODES.filter(
      (code) => problemEntry(code).status >= 500 && !problemEntry(code).publicDetail,
    );

    // Assess
    expect(missing).toEqual([]);
  });

  test('fails the typecheck when a code has no entry', () => {
    // Prepare
    const { UPSTREAM_TIMEOUT: _dropped, ...incomplete } = ERROR_CATALOGUE;

    // Act
    // @ts-expect-error UPSTREAM_TIMEOUT is missing, which the catalogue's type refuses
    const catalogue: errors.ErrorCatalogue = incomplete;

    // Assess
    expect(Object.keys(catalogue)).not.toContain('UPSTREAM_TIMEOUT');
  });
});

describe('error codes are spelled once', () => {
  test('each broker, device-failure and client code appears as a string literal exactly once', () => {
    // Prepare
    const codes = [
      ...ERROR_CODES,
      ...Object.values(DEVICE_FAILURE_CODES),
      ...Object.values(CLIENT_FAILURE_CODES),
    ];
    // Act
    const counts = literalCounts(codes);
    // Assess
    expect(counts.filter(([, n]) => n !== 1)).toEqual([]);
  });
});
