import { describe, expect, test } from 'vitest';
import * as errors from '../../functions/token-broker/errors.ts';

const { BrokerError, ForbiddenDeviceError, InvalidRequestError, UpstreamUnavailableError } = errors;

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
      : cls === (UpstreamUnavailableError as unknown)
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

  test('keeps the cause it wraps', () => {
    // Prepare
    const cause = new Error('socket hang up');

    // Act
    const error = new errors.UpstreamError('Upstream request failed', { cause });

    // Assess
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });
});
