import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_FAILURE_CODES } from '../../functions/token-broker/contract.ts';
import {
  type BrokerError,
  ConfigurationError,
  CredentialsUnavailableError,
  DEVICE_FAILURE_CODES,
  ERROR_CODES,
  ForbiddenDeviceError,
  GrantsUnavailableError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  UpstreamBudgetExceededError,
  UpstreamError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../functions/token-broker/errors.ts';
import {
  OPENAPI_DOCUMENT,
  PROBLEMS,
  type ProblemCode,
  responseNameOf,
} from '../../functions/token-broker/openapi.ts';
import { toProblem } from '../../functions/token-broker/problem.ts';
import { errorsOf, problemValidator, schemaAt } from '../support/openapi.ts';

/** One instance of every error class the broker raises on purpose. */
const BROKER_ERRORS: readonly BrokerError[] = [
  new InvalidRequestError('devices[0].deviceName', 'is required'),
  new UnauthenticatedError('A bearer token is required'),
  new ForbiddenDeviceError([{ productKey: 'pkB', deviceName: 'cam-9' }]),
  new NotFoundError('No route for /x'),
  new MethodNotAllowedError('Method GET is not allowed; use POST'),
  new PayloadTooLargeError('too large'),
  new UnsupportedMediaTypeError('Content-Type must be application/json'),
  new UpstreamRejectedError('success:false'),
  new UpstreamError('HTTP 500'),
  new UpstreamTimeoutError('no answer'),
  new ConfigurationError('SECRET_ID is required'),
  new CredentialsUnavailableError('Secrets Manager is unavailable'),
  new UpstreamUnavailableError('circuit open', 30),
  new UpstreamBudgetExceededError('budget of 1000 logins spent', 1200),
  new GrantsUnavailableError('grants table unreachable', 5),
];

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // Prepare
    const validator = new Validator();
    // Act
    const result = await validator.validate(structuredClone(OPENAPI_DOCUMENT));
    // Assess
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every error code of the code, and UPSTREAM_UNAVAILABLE', () => {
    // Act
    const documented = OPENAPI_DOCUMENT.components.schemas.Problem.properties.code.enum;
    // Assess
    expect([...documented].sort()).toEqual(
      [...new Set([...ERROR_CODES, 'UPSTREAM_UNAVAILABLE'])].sort(),
    );
  });

  it('gives every error class the status and title it answers with', () => {
    // Act
    const mismatches = BROKER_ERRORS.filter((error) => {
      const doc = PROBLEMS[error.code as ProblemCode];
      return doc?.status !== error.status || doc.title !== error.title;
    }).map((e) => e.code);
    // Assess
    expect(mismatches).toEqual([]);
    expect(BROKER_ERRORS.map((e) => e.code).sort()).toEqual(
      ERROR_CODES.filter((c) => c !== 'INTERNAL_ERROR').sort(),
    );
  });

  it.each(
    [...BROKER_ERRORS, new Error('boom')].map((error) => [
      error instanceof Error && 'code' in error ? error.code : 'INTERNAL_ERROR',
      error,
    ]),
  )('describes the problem body of %s', (_code, error) => {
    // Prepare
    const problem = toProblem(error, 'req-1');
    const validate = problemValidator(responseNameOf(problem.status));
    // Act
    const valid = validate(JSON.parse(JSON.stringify(problem)));
    // Assess
    expect(valid, errorsOf(validate)).toBe(true);
  });

  it('fails validation when a problem carries a member the contract lacks', () => {
    // Prepare
    const problem = { ...toProblem(new UpstreamError('x'), 'req-1'), stack: 'Error: x' };
    const validate = problemValidator('BadGateway');
    // Act
    const valid = validate(problem);
    // Assess
    expect(valid).toBe(false);
  });

  it('fails validation when a status answers a code of another status', () => {
    // Prepare
    const problem = toProblem(new UpstreamTimeoutError('x'), 'req-1');
    const validate = problemValidator('BadGateway');
    // Act
    const valid = validate({ ...problem, status: 502 });
    // Assess
    expect(valid).toBe(false);
  });

  it('lists the per-device failure codes', () => {
    // Act
    const schema = schemaAt('components', 'schemas', 'DeviceFailure');
    const codes = [...Object.values(DEVICE_FAILURE_CODES), ...ACCOUNT_FAILURE_CODES];
    const valid = codes.map((code) =>
      schema({ productKey: 'pk', deviceName: 'd', code, message: 'm' }),
    );
    // Assess
    expect(valid).toEqual(codes.map(() => true));
    expect(codes).toContain('NO_ACCOUNT_ROUTE');
    expect(schema({ productKey: 'pk', deviceName: 'd', code: 'OTHER', message: 'm' })).toBe(false);
    expect(
      schema({ productKey: 'pk', deviceName: 'd', code: 'INVALID_REQUEST', message: 'm' }),
    ).toBe(false);
  });

  it('accepts `refresh` as an optional boolean in the request body', () => {
    // Prepare
    const validate = schemaAt('components', 'schemas', 'TokenRequest');
    const devices = [{ productKey: 'pk', deviceName: 'd' }];
    // Act
    const outcomes = [true, false, undefined, 'yes', 1].map((refresh) =>
      validate(refresh === undefined ? { devices } : { devices, refresh }),
    );
    // Assess
    expect(outcomes).toEqual([true, true, true, false, false]);
  });

  it('documents Retry-After on the 429 of UPSTREAM_BUDGET_EXCEEDED', () => {
    // Act
    const response = OPENAPI_DOCUMENT.components.responses[responseNameOf(429)] as {
      headers: Record<string, unknown>;
      content: Record<string, { examples: Record<string, unknown> }>;
    };
    // Assess
    expect(response.headers).toHaveProperty('Retry-After');
    expect(Object.keys(response.content['application/problem+json']?.examples ?? {})).toEqual([
      'UPSTREAM_BUDGET_EXCEEDED',
    ]);
  });

  it('requires a bearer JWT on POST /tokens', () => {
    // Assess
    expect(OPENAPI_DOCUMENT.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(OPENAPI_DOCUMENT.security).toEqual([{ bearerAuth: [] }]);
  });

  it('has examples that match their own schemas', () => {
    // Prepare
    const responses = OPENAPI_DOCUMENT.components.responses as Record<
      string,
      { content: Record<string, { examples: Record<string, { value: unknown }> }> }
    >;
    // Act
    const invalid = Object.entries(responses).flatMap(([name, response]) => {
      const validate = problemValidator(name);
      return Object.entries(response.content['application/problem+json']?.examples ?? {})
        .filter(([, example]) => !validate(example.value))
        .map(([code]) => `${name}/${code}: ${errorsOf(validate)}`);
    });
    // Assess
    expect(invalid).toEqual([]);
    expect(Object.keys(responses).length).toBeGreaterThanOrEqual(11);
  });
});
