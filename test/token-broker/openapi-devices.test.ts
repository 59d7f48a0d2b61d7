/**
 * `GET /tokens/devices` in the OpenAPI document: the caller's grants as
 * DeviceGrantsResult, and the problems that path answers (401, 503
 * GRANTS_UNAVAILABLE with Retry-After) beside API Gateway's own 401, 404
 * and 429.
 */
import { describe, expect, it } from 'vitest';
import { DEVICES_PATH, type DeviceGrantsResult } from '../../functions/token-broker/contract.ts';
import {
  GrantsUnavailableError,
  UnauthenticatedError,
  UpstreamUnavailableError,
} from '../../functions/token-broker/errors.ts';
import { OPENAPI_DOCUMENT } from '../../functions/token-broker/openapi.ts';
import { toProblem } from '../../functions/token-broker/problem.ts';
import { errorsOf, problemValidator, schemaAt } from '../support/openapi.ts';

const operation = OPENAPI_DOCUMENT.paths[DEVICES_PATH].get;
const at = (...path: string[]) => schemaAt('paths', DEVICES_PATH, 'get', 'responses', ...path);
const validateResult = at('200', 'content', 'application/json', 'schema');

describe(`OpenAPI document: GET ${DEVICES_PATH}`, () => {
  it('answers 200 with DeviceGrantsResult, its example included', () => {
    // Prepare
    const example =
      operation.responses['200'].content['application/json'].examples.productAndDevices.value;
    const everything: DeviceGrantsResult = { all: true, products: [], devices: [] };
    // Act
    const valid = [validateResult(example), validateResult(everything)];
    // Assess
    expect(valid, errorsOf(validateResult)).toEqual([true, true]);
    expect(operation.operationId).toBe('listDevices');
  });

  it.each([
    ['a member is missing', { all: false, products: [] }],
    ['it carries a member the contract lacks', { all: false, products: [], devices: [], x: 1 }],
    ['a product is a pattern', { all: false, products: ['pk/*'], devices: [] }],
    ['a product is listed twice', { all: false, products: ['pk', 'pk'], devices: [] }],
    ['a device is malformed', { all: false, products: [], devices: [{ productKey: 'pk' }] }],
  ])('fails validation when %s', (_case, body) => {
    // Act
    const valid = validateResult(body);
    // Assess
    expect(valid).toBe(false);
  });

  it('answers 503 with GRANTS_UNAVAILABLE only, and Retry-After', () => {
    // Prepare
    const validate = at('503', 'content', 'application/problem+json', 'schema');
    const grants = toProblem(new GrantsUnavailableError('table unreachable', 5), 'req-1');
    const upstream = toProblem(new UpstreamUnavailableError('circuit open', 30), 'req-1');
    // Act
    const valid = [validate(JSON.parse(JSON.stringify(grants))), validate(upstream)];
    // Assess
    expect(valid, errorsOf(validate)).toEqual([true, false]);
    expect(operation.responses['503'].headers).toHaveProperty('Retry-After');
  });

  it('answers 401 and 500 with the components POST /tokens answers them with', () => {
    // Prepare
    const validate = problemValidator('Unauthenticated');
    const problem = toProblem(new UnauthenticatedError('no token'), 'req-1');
    // Act
    const valid = validate(JSON.parse(JSON.stringify(problem)));
    // Assess
    expect(valid, errorsOf(validate)).toBe(true);
    const tokens = OPENAPI_DOCUMENT.paths['/tokens'].post.responses as Record<string, unknown>;
    expect(operation.responses).toMatchObject({ '401': tokens['401'], '500': tokens['500'] });
    expect(operation.responses['401']).toEqual({ $ref: '#/components/responses/Unauthenticated' });
  });

  it('declares API Gateway’s 404 and 429, the 429 as its {"message"} alone', () => {
    // Prepare
    const { responses } = operation;
    const throttled = at('429', 'content', 'application/json', 'schema');
    // Assess
    expect(responses['404']).toMatchObject({ $ref: '#/components/responses/NotFound' });
    expect(Object.keys(responses['429'].content)).toEqual(['application/json']);
    expect(throttled({ message: 'Too Many Requests' })).toBe(true);
    expect(Object.keys(responses).sort()).toEqual(['200', '401', '404', '429', '500', '503']);
  });
});
