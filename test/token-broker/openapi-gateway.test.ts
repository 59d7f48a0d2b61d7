/**
 * API Gateway's own answers in the OpenAPI document: deployed, the JWT
 * authorizer, the stage's throttling and the route table answer 401, 429 and
 * 404 themselves, as `application/json` `{"message":…}`, before the function
 * can answer with problem details. A generated client must expect both.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  GATEWAY_ANSWERS,
  OPENAPI_DOCUMENT,
  responseNameOf,
} from '../../functions/token-broker/openapi.ts';
import { errorsOf, schemaAt } from '../support/openapi.ts';

type Content = Record<string, { examples: Record<string, { value: unknown }> }>;
const responses = OPENAPI_DOCUMENT.components.responses as unknown as Record<
  string,
  { description: string; content: Content }
>;
const gatewaySchema = (status: number) =>
  schemaAt(
    'components',
    'responses',
    responseNameOf(status),
    'content',
    'application/json',
    'schema',
  );

describe('OpenAPI document: API Gateway’s own answers', () => {
  it.each([
    [401, 'Unauthorized'],
    [404, 'Not Found'],
    [429, 'Too Many Requests'],
  ])('declares %i as problem+json and as API Gateway’s {"message":"%s"}', (status, message) => {
    // Prepare
    const response = responses[responseNameOf(status)];

    // Act
    const validate = gatewaySchema(status);

    // Assess
    expect(Object.keys(response?.content ?? {})).toEqual([
      'application/problem+json',
      'application/json',
    ]);
    expect(validate({ message }), errorsOf(validate)).toBe(true);
    expect(response?.content['application/json']?.examples).toEqual({
      apiGateway: { value: { message } },
    });
    expect(response?.description).toContain(`\`{"message":"${message}"}\``);
  });

  it('fails validation when API Gateway’s answer has no message', () => {
    // Prepare
    const validate = gatewaySchema(401);

    // Act
    const valid = [validate({}), validate({ message: 42 })];

    // Assess
    expect(valid).toEqual([false, false]);
  });

  it('declares API Gateway’s shape for exactly 401, 404 and 429', () => {
    // Act
    const withGateway = Object.entries(responses)
      .filter(([, response]) => 'application/json' in response.content)
      .map(([name]) => name);

    // Assess
    expect(withGateway.sort()).toEqual(
      Object.keys(GATEWAY_ANSWERS)
        .map((status) => responseNameOf(Number(status)))
        .sort(),
    );
  });

  it('references the 401 and 429 components from POST /tokens, and stays valid OpenAPI 3.1', async () => {
    // Prepare
    const validator = new Validator();

    // Act
    const result = await validator.validate(structuredClone(OPENAPI_DOCUMENT));

    // Assess
    expect(result.errors).toBeUndefined();
    expect(OPENAPI_DOCUMENT.paths['/tokens'].post.responses).toMatchObject({
      '401': { $ref: '#/components/responses/Unauthenticated' },
      '429': { $ref: '#/components/responses/TooManyRequests' },
    });
  });
});
