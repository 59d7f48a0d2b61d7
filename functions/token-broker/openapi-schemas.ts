/**
 * The schemas of the OpenAPI document (functions/token-broker/openapi.ts):
 * the request, the tokens, the per-device failures, the caller's grants,
 * the problem details, and API Gateway's own answers, which come before the
 * function runs; and the examples of the two 200 answers.
 */
import { DEFAULTS, ENV } from './config.ts';
import {
  ACCOUNT_FAILURE_CODES,
  DEVICE_FAILURE_CODES,
  DEVICE_NAME_PATTERN,
  ERROR_CODE,
  ERROR_CODES,
  type ErrorCode,
  PRODUCT_KEY_PATTERN,
} from './contract.ts';
import { ERROR_DOCS } from './error-docs.ts';
import { MAX_BODY_BYTES } from './request.ts';

/** A reference to one of {@link OPENAPI_SCHEMAS}. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The device of the document's examples. */
export const EXAMPLE_DEVICE = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

/** The example answer of `POST /tokens`: one token, one device that got none. */
export const EXAMPLE_TOKEN_RESULT = {
  tokens: [
    {
      ...EXAMPLE_DEVICE,
      visualToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3a05DQX…',
      expiresAt: '2026-11-22T00:45:55.000Z',
      expiresIn: 3599,
    },
  ],
  failures: [
    {
      productKey: 'pk1',
      deviceName: 'unknown-device',
      code: DEVICE_FAILURE_CODES.noToken,
      message: 'The upstream returned no token for this device',
    },
  ],
};

/** The example answer of `GET /tokens/devices`: one product whole, and two devices of another. */
export const EXAMPLE_DEVICE_GRANTS = {
  all: false,
  products: ['pk2'],
  devices: [EXAMPLE_DEVICE, { productKey: EXAMPLE_DEVICE.productKey, deviceName: 'cam-7' }],
};

const PROBLEM_CODES = ERROR_CODES;

const device = (example: { productKey: string; deviceName: string }) => ({
  type: 'object',
  additionalProperties: false,
  required: ['productKey', 'deviceName'],
  properties: {
    productKey: { type: 'string', pattern: PRODUCT_KEY_PATTERN.source },
    deviceName: { type: 'string', pattern: DEVICE_NAME_PATTERN.source },
  },
  examples: [example],
});

/** `member` is present exactly when the problem's code is `code`. */
const onlyWith = (code: ErrorCode, member: string) => ({
  oneOf: [
    { properties: { code: { const: code } }, required: ['code', member] },
    { properties: { code: { not: { const: code } } }, not: { required: [member] } },
  ],
});

/**
 * What API Gateway itself answers, deployed, before the function runs: the
 * message of its `application/json` body, and why it answers.
 */
export const GATEWAY_ANSWERS: Readonly<Record<number, { message: string; when: string }>> = {
  401: { message: 'Unauthorized', when: 'its JWT authorizer refuses the bearer token' },
  404: { message: 'Not Found', when: 'the API has no route for the method and path' },
  429: { message: 'Too Many Requests', when: 'the stage’s throttling refuses the request' },
};

/** The `application/json` answer of API Gateway for `status`, if it has one. */
export function gatewayContent(status: number) {
  const answer = GATEWAY_ANSWERS[status];
  if (answer === undefined) return {};
  return {
    'application/json': {
      schema: ref('GatewayMessage'),
      examples: { apiGateway: { value: { message: answer.message } } },
    },
  };
}

/** An answer only API Gateway gives, deployed: `{"message":…}`, never problem details. */
export function gatewayResponse(status: number) {
  const answer = GATEWAY_ANSWERS[status];
  return {
    description: `Deployed only: API Gateway answers this itself when ${answer?.when}, as \`application/json\` \`{"message":"${answer?.message}"}\`.`,
    content: gatewayContent(status),
  };
}

/** The document's `components.schemas`. */
export const OPENAPI_SCHEMAS = {
  DeviceKey: device(EXAMPLE_DEVICE),
  TokenRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['devices'],
    description: `At most ${MAX_BODY_BYTES} bytes. The most devices per request is a deployment setting (\`${ENV.maxDevicesPerRequest}\`, default ${DEFAULTS.maxDevicesPerRequest}).`,
    properties: {
      devices: { type: 'array', minItems: 1, maxItems: 500, items: ref('DeviceKey') },
      refresh: {
        type: 'boolean',
        default: false,
        description:
          'Log in again for these devices instead of serving a cached token, for a player whose token was rejected. The caller must be granted the devices as always. The broker logs in again for a device at most once per refresh interval, fleet-wide; a refresh inside that interval gets the newest token and is not an error.',
      },
    },
  },
  IssuedToken: {
    type: 'object',
    additionalProperties: false,
    required: ['productKey', 'deviceName', 'visualToken', 'expiresAt', 'expiresIn'],
    properties: {
      productKey: { type: 'string' },
      deviceName: { type: 'string' },
      visualToken: { type: 'string', minLength: 1, description: 'Secret: never log it.' },
      expiresAt: { type: 'string', format: 'date-time' },
      expiresIn: { type: 'integer', minimum: 0, description: 'Whole seconds left.' },
    },
  },
  DeviceFailure: {
    type: 'object',
    additionalProperties: false,
    required: ['productKey', 'deviceName', 'code', 'message'],
    properties: {
      productKey: { type: 'string' },
      deviceName: { type: 'string' },
      code: {
        enum: [...Object.values(DEVICE_FAILURE_CODES), ...ACCOUNT_FAILURE_CODES],
        description: `${Object.values(DEVICE_FAILURE_CODES)
          .map((code) => `\`${code}\`: ${ERROR_DOCS[code].description}`)
          .join(
            ' ',
          )} With several accounts, one account's problem code (${ACCOUNT_FAILURE_CODES.map((c) => `\`${c}\``).join(', ')}) when only that account fails.`,
      },
      message: { type: 'string' },
    },
  },
  TokenResult: {
    type: 'object',
    additionalProperties: false,
    required: ['tokens', 'failures'],
    properties: {
      tokens: { type: 'array', items: ref('IssuedToken') },
      failures: { type: 'array', items: ref('DeviceFailure') },
    },
  },
  DeviceGrantsResult: {
    type: 'object',
    additionalProperties: false,
    required: ['all', 'products', 'devices'],
    description:
      'What the caller may ask tokens for: its claim grants and its directory grants (`user:<sub>` and each `group:<name>`) together, within the deployment’s product allowlist. A pattern names no device: with `all` or `products`, the app lists those devices itself.',
    properties: {
      all: { type: 'boolean', description: '`*` is granted: any device of any allowed product.' },
      products: {
        type: 'array',
        description: 'Products granted whole (`productKey/*`), sorted.',
        uniqueItems: true,
        items: { type: 'string', pattern: PRODUCT_KEY_PATTERN.source },
      },
      devices: {
        type: 'array',
        description: 'Devices granted one by one, sorted by `productKey/deviceName`.',
        items: ref('DeviceKey'),
      },
    },
    examples: [EXAMPLE_DEVICE_GRANTS],
  },
  GatewayMessage: {
    type: 'object',
    description:
      'API Gateway’s own answer, written before the function runs (deployed only): `application/json` with a `message`, not problem details.',
    required: ['message'],
    properties: { message: { type: 'string' } },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details, with the broker’s extension members.',
    additionalProperties: false,
    required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
    properties: {
      type: { type: 'string', format: 'uri', pattern: '^urn:visual-token-broker:problem:' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
      code: { enum: PROBLEM_CODES },
      requestId: { type: 'string', description: 'Quote it when asking operators.' },
      field: {
        type: 'string',
        description: `With \`${ERROR_CODE.INVALID_REQUEST}\`: the JSON path of the offending field.`,
        examples: ['devices[3].deviceName'],
      },
      devices: {
        type: 'array',
        description: `With \`${ERROR_CODE.FORBIDDEN_DEVICE}\`: the devices refused.`,
        items: ref('DeviceKey'),
      },
    },
    allOf: [
      onlyWith(ERROR_CODE.INVALID_REQUEST, 'field'),
      onlyWith(ERROR_CODE.FORBIDDEN_DEVICE, 'devices'),
    ],
  },
} as const;
