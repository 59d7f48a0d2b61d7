/**
 * The OpenAPI 3.1 document of the broker's HTTP contract. Built from the same
 * constants the code validates with (patterns, body limit, error and failure
 * codes), so the parts most likely to drift cannot; tests check the rest
 * against real responses of the local server. Not part of the Lambda bundle:
 * only the local server and the tests import it.
 */
import { DEFAULTS, ENV } from './config.ts';
import { DEVICE_FAILURE_CODES, type ERROR_CODES } from './errors.ts';
import { DEVICE_NAME_PATTERN, MAX_BODY_BYTES, PRODUCT_KEY_PATTERN } from './request.ts';

/** How one problem code appears in the document. */
export interface ProblemDescription {
  /** HTTP status the code is answered with. */
  readonly status: number;
  /** The problem's `title`. */
  readonly title: string;
  /** When the code is answered. */
  readonly description: string;
}

/**
 * Every problem code of the contract. `UPSTREAM_UNAVAILABLE` is listed ahead
 * of its error class: the resilience work answers it while the upstream's
 * circuit is open, and clients should know it already.
 */
export const PROBLEMS = {
  INVALID_REQUEST: {
    status: 400,
    title: 'Invalid request',
    description: 'The body breaks a rule; `field` names it.',
  },
  UNAUTHENTICATED: {
    status: 401,
    title: 'Unauthenticated',
    description: 'No valid bearer token.',
  },
  FORBIDDEN_DEVICE: {
    status: 403,
    title: 'Forbidden device',
    description: 'Devices outside the caller’s grants; `devices` lists them.',
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not found',
    description: 'No such route (local server; API Gateway answers this itself).',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    description: 'The route exists, but only for POST.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Payload too large',
    description: `The body is over ${MAX_BODY_BYTES} bytes.`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The Content-Type is not JSON.',
  },
  UPSTREAM_REJECTED: {
    status: 502,
    title: 'Upstream rejected the login',
    description: 'The provider said `success:false`, or its gateway refused the credentials.',
  },
  UPSTREAM_ERROR: {
    status: 502,
    title: 'Upstream error',
    description: 'The provider failed or answered something unusable.',
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    title: 'Upstream timeout',
    description: 'The provider did not answer in time.',
  },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    title: 'Upstream unavailable',
    description:
      'The provider failed repeatedly and the broker is not calling it for a while; see `Retry-After`.',
  },
  CONFIGURATION_ERROR: {
    status: 500,
    title: 'Configuration error',
    description: 'A bad setting or secret; the broker’s log says which.',
  },
  CREDENTIALS_UNAVAILABLE: {
    status: 503,
    title: 'Credentials unavailable',
    description: 'Secrets Manager could not be reached; a retry may succeed.',
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    description: 'A bug; the broker’s log has the detail.',
  },
} as const satisfies Record<
  (typeof ERROR_CODES)[number] | 'UPSTREAM_UNAVAILABLE',
  ProblemDescription
>;

/** A problem code of the document. */
export type ProblemCode = keyof typeof PROBLEMS;

const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

const codesWithStatus = (status: number) =>
  PROBLEM_CODES.filter((code) => PROBLEMS[code].status === status);

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

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

const EXAMPLE_DEVICE = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };
const REQUEST_ID = 'b3dea924-e332-4c6d-98cf-0a9a15d6f9de';

const problemExample = (code: ProblemCode, detail: string, extra: object = {}) => ({
  type: `urn:visual-token-broker:problem:${code.toLowerCase().replaceAll('_', '-')}`,
  title: PROBLEMS[code].title,
  status: PROBLEMS[code].status,
  detail,
  code,
  requestId: REQUEST_ID,
  ...extra,
});

/** Details of the examples; 5xx details are the generic public ones. */
const EXAMPLE_DETAIL: Readonly<Record<ProblemCode, string>> = {
  INVALID_REQUEST: 'devices[1].deviceName: must match ^[A-Za-z0-9_.:@-]{1,128}$',
  UNAUTHENTICATED: 'A bearer token is required in the Authorization header',
  FORBIDDEN_DEVICE: 'Not allowed to request 1 device(s): pkB/cam-9',
  NOT_FOUND: 'No route for /token',
  METHOD_NOT_ALLOWED: 'Method GET is not allowed; use POST',
  PAYLOAD_TOO_LARGE: `The request body must be at most ${MAX_BODY_BYTES} bytes`,
  UNSUPPORTED_MEDIA_TYPE: 'Content-Type must be application/json',
  UPSTREAM_REJECTED: 'The provider refused the broker’s login. Operators: see the broker’s logs.',
  UPSTREAM_ERROR: 'The provider answered with an error or an unusable response. Retry later.',
  UPSTREAM_TIMEOUT: 'The provider did not answer in time. Retry later.',
  UPSTREAM_UNAVAILABLE: 'The provider is unavailable. Retry later.',
  CONFIGURATION_ERROR: 'The broker is misconfigured. Operators: see the broker’s logs.',
  CREDENTIALS_UNAVAILABLE: 'The broker could not read its credentials. Retry later.',
  INTERNAL_ERROR: 'An unexpected error occurred. Operators: see the broker’s logs.',
};

const EXAMPLE_EXTRA: Partial<Record<ProblemCode, object>> = {
  INVALID_REQUEST: { field: 'devices[1].deviceName' },
  FORBIDDEN_DEVICE: { devices: [{ productKey: 'pkB', deviceName: 'cam-9' }] },
};

/** `member` is present exactly when the problem's code is `code`. */
const onlyWith = (code: ProblemCode, member: string) => ({
  oneOf: [
    { properties: { code: { const: code } }, required: ['code', member] },
    { properties: { code: { not: { const: code } } }, not: { required: [member] } },
  ],
});

/** Name of the response component of each status. */
const RESPONSE_NAMES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const STATUSES = [...new Set(PROBLEM_CODES.map((code) => PROBLEMS[code].status))].sort();

const NO_STORE = {
  description: 'Always `no-store`: tokens and errors must not be cached by intermediaries.',
  schema: { type: 'string', const: 'no-store' },
};

function problemResponse(status: number) {
  const codes = codesWithStatus(status);
  const headers: Record<string, object> = { 'Cache-Control': NO_STORE };
  if (status === 401) {
    headers['WWW-Authenticate'] = {
      description: 'The authentication scheme expected.',
      schema: { type: 'string', examples: ['Bearer'] },
    };
  }
  if (status === 503) {
    headers['Retry-After'] = {
      description: 'Seconds to wait before retrying, when the broker knows.',
      schema: { type: 'string', pattern: '^\\d+$' },
    };
  }
  const schema = {
    allOf: [
      ref('Problem'),
      {
        properties: {
          status: { const: status },
          code: codes.length === 1 ? { const: codes[0] } : { enum: codes },
        },
      },
    ],
  };
  return {
    description: codes.map((code) => `\`${code}\`: ${PROBLEMS[code].description}`).join(' '),
    headers,
    content: {
      'application/problem+json': {
        schema,
        examples: Object.fromEntries(
          codes.map((code) => [
            code,
            { value: problemExample(code, EXAMPLE_DETAIL[code], EXAMPLE_EXTRA[code]) },
          ]),
        ),
      },
    },
  };
}

/** The response component name for a problem status, e.g. 502 → `BadGateway`. */
export function responseNameOf(status: number): string {
  const name = RESPONSE_NAMES[status];
  if (name === undefined) throw new Error(`No response component for status ${status}`);
  return name;
}

/** The OpenAPI 3.1 document, served by the local server at `GET /openapi.json`. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'visual-token-broker',
    version: '1.0.0',
    summary: 'Per-device Tuya visual tokens, without exposing the developer credentials.',
    description: [
      'The broker logs in to the provider for exactly the devices asked for, caches the tokens',
      'until shortly before they expire, and returns them.',
      '',
      'Errors are RFC 9457 `application/problem+json` with a stable `code`. For 5xx errors the',
      '`detail` is generic; the specifics go to the broker’s log. Other Lambdas may invoke the',
      'function directly with the same request body; errors then carry the class name as',
      '`errorType` and a message starting with `CODE: `.',
      '',
      'Every path other than `/tokens` answers `404` (`NOT_FOUND`), and every method other than',
      '`POST` on `/tokens` answers `405` (`METHOD_NOT_ALLOWED`); see those response components.',
    ].join('\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: 'http://127.0.0.1:3000', description: 'Local server (`npm start`)' }],
  security: [{ bearerAuth: [] }],
  paths: {
    '/tokens': {
      post: {
        operationId: 'getTokens',
        summary: 'Tokens for a list of devices',
        description:
          'Duplicates are served once. Tokens come back in the order asked for; devices the provider returned no usable token for are listed in `failures`, and the request as a whole still succeeds.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('TokenRequest'),
              examples: {
                oneDevice: { value: { devices: [EXAMPLE_DEVICE] } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Tokens, and the devices that got none.',
            headers: { 'Cache-Control': NO_STORE },
            content: {
              'application/json': {
                schema: ref('TokenResult'),
                examples: {
                  oneTokenOneFailure: {
                    value: {
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
                    },
                  },
                },
              },
            },
          },
          ...Object.fromEntries(
            STATUSES.filter((s) => s !== 404 && s !== 405).map((status) => [
              String(status),
              { $ref: `#/components/responses/${responseNameOf(status)}` },
            ]),
          ),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A JWT from the deployment’s identity provider, verified by API Gateway’s JWT authorizer (locally: `npm run --silent dev-token`).',
      },
    },
    schemas: {
      DeviceKey: device(EXAMPLE_DEVICE),
      TokenRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['devices'],
        description: `At most ${MAX_BODY_BYTES} bytes. The most devices per request is a deployment setting (\`${ENV.maxDevicesPerRequest}\`, default ${DEFAULTS.maxDevicesPerRequest}).`,
        properties: {
          devices: { type: 'array', minItems: 1, maxItems: 500, items: ref('DeviceKey') },
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
            enum: Object.values(DEVICE_FAILURE_CODES),
            description:
              '`UPSTREAM_NO_TOKEN`: the provider returned no token for the device. `UPSTREAM_INVALID_TOKEN`: its token had no expiry, had expired, or named another device.',
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
            description: 'With `INVALID_REQUEST`: the JSON path of the offending field.',
            examples: ['devices[3].deviceName'],
          },
          devices: {
            type: 'array',
            description: 'With `FORBIDDEN_DEVICE`: the devices refused.',
            items: ref('DeviceKey'),
          },
        },
        allOf: [onlyWith('INVALID_REQUEST', 'field'), onlyWith('FORBIDDEN_DEVICE', 'devices')],
      },
    },
    responses: Object.fromEntries(
      STATUSES.map((status) => [responseNameOf(status), problemResponse(status)]),
    ),
  },
} as const;
